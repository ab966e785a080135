'use strict';
// Checks CloudFormation templates, YAML (with the short tags !Ref, !GetAtt,
// !Sub, !If...) or JSON, for what CloudFormation would refuse before it
// created anything: unknown sections, a resource without a Type, a !Ref or
// !GetAtt or ${} in !Sub naming nothing, a condition that is not defined.
// It also reports each EventBridge rule's pattern, for the tests to compare
// with what the C code records.
//
//   node cfn-check.js TEMPLATE...
//   node cfn-check.js --dump TEMPLATE     the template as JSON, short tags in long form
//
// Prints one JSON object, {TEMPLATE: {problems: [...], parameters: [...],
// resources: {ID: TYPE}, rules: {ID: {state, eventBusName, source,
// detailType, eventSource, eventName, patternLength}}}}, and exits 1 when any
// template has a problem.
const fs = require('fs');
const yaml = require('js-yaml');

// Each short tag is its long form: !Ref X is {Ref: X}, !GetAtt A.B is
// {"Fn::GetAtt": [A, B]}, !Sub S is {"Fn::Sub": S}...
const INTRINSICS = {
  Ref: 'Ref', Condition: 'Condition', GetAtt: 'Fn::GetAtt', Sub: 'Fn::Sub', If: 'Fn::If', Not: 'Fn::Not',
  Equals: 'Fn::Equals', And: 'Fn::And', Or: 'Fn::Or', Join: 'Fn::Join', Select: 'Fn::Select', Split: 'Fn::Split',
  FindInMap: 'Fn::FindInMap', Base64: 'Fn::Base64', Cidr: 'Fn::Cidr', GetAZs: 'Fn::GetAZs',
  ImportValue: 'Fn::ImportValue', Transform: 'Fn::Transform', ToJsonString: 'Fn::ToJsonString', Length: 'Fn::Length',
};
const types = [];
for (const [tag, fn] of Object.entries(INTRINSICS)) {
  for (const kind of ['scalar', 'sequence', 'mapping']) {
    types.push(new yaml.Type(`!${tag}`, {
      kind,
      construct: (d) => {
        if (tag === 'GetAtt' && kind === 'scalar') {
          const i = String(d).indexOf('.');
          d = i < 0 ? [d] : [d.slice(0, i), d.slice(i + 1)];
        }
        return { [fn]: d === null ? '' : d };
      },
    }));
  }
}
const SCHEMA = yaml.DEFAULT_SCHEMA.extend(types);

const SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings',
  'Conditions', 'Transform', 'Resources', 'Outputs']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy',
  'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const PSEUDO = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region',
  'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const PARAM_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[A-Za-z0-9:]+|List<AWS::[A-Za-z0-9:]+>)$/;
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function load(file) {
  const text = fs.readFileSync(file, 'utf8');
  return /^\s*\{/.test(text) ? JSON.parse(text) : yaml.load(text, { schema: SCHEMA, filename: file });
}

function check(file) {
  const problems = [];
  const bad = (where, what) => problems.push(`${where}: ${what}`);
  let t;
  try {
    t = load(file);
  } catch (e) {
    return { problems: [`does not parse: ${e.message}`], parameters: [], resources: {}, rules: {} };
  }
  if (!isObj(t)) return { problems: ['the template is not a mapping'], parameters: [], resources: {}, rules: {} };
  for (const k of Object.keys(t)) if (!SECTIONS.has(k)) bad(k, 'not a template section');
  if ('AWSTemplateFormatVersion' in t && t.AWSTemplateFormatVersion !== '2010-09-09')
    bad('AWSTemplateFormatVersion', `'${t.AWSTemplateFormatVersion}' is not 2010-09-09`);

  const params = isObj(t.Parameters) ? t.Parameters : {};
  const resources = isObj(t.Resources) ? t.Resources : {};
  const conditions = isObj(t.Conditions) ? t.Conditions : {};
  if (!Object.keys(resources).length) bad('Resources', 'none');
  for (const [id, p] of Object.entries(params)) {
    if (!isObj(p) || typeof p.Type !== 'string' || !PARAM_TYPES.test(p.Type)) bad(`Parameters.${id}`, 'no valid Type');
    else if ('Default' in p && 'AllowedValues' in p && !p.AllowedValues.map(String).includes(String(p.Default)))
      bad(`Parameters.${id}`, `Default ${p.Default} is not an allowed value`);
    else if ('Default' in p && p.AllowedPattern && p.Type === 'String' && !new RegExp(p.AllowedPattern).test(String(p.Default)))
      bad(`Parameters.${id}`, `Default '${p.Default}' does not match AllowedPattern`);
    if (id in resources) bad(`Parameters.${id}`, 'also a resource');
  }
  const resourceTypes = {};
  for (const [id, r] of Object.entries(resources)) {
    if (!/^[A-Za-z0-9]+$/.test(id)) bad(`Resources.${id}`, 'a logical ID is alphanumeric');
    if (!isObj(r)) {
      bad(`Resources.${id}`, 'not a mapping');
      continue;
    }
    if (typeof r.Type !== 'string' || !/^(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+|Custom::[A-Za-z0-9_@-]+)$/.test(r.Type))
      bad(`Resources.${id}`, `no valid Type (${JSON.stringify(r.Type)})`);
    resourceTypes[id] = r.Type;
    for (const k of Object.keys(r)) if (!RESOURCE_KEYS.has(k)) bad(`Resources.${id}.${k}`, 'not a resource attribute');
    if ('Properties' in r && !isObj(r.Properties)) bad(`Resources.${id}.Properties`, 'not a mapping');
    if ('Condition' in r && !(r.Condition in conditions)) bad(`Resources.${id}.Condition`, `no condition '${r.Condition}'`);
    for (const d of [].concat(r.DependsOn || [])) if (!(d in resources)) bad(`Resources.${id}.DependsOn`, `no resource '${d}'`);
  }
  for (const [id, o] of Object.entries(isObj(t.Outputs) ? t.Outputs : {}))
    if (!isObj(o) || !('Value' in o)) bad(`Outputs.${id}`, 'no Value');

  // Every reference names something. inConditions: Ref may not name a resource there.
  const named = (n) => n in params || n in resources || PSEUDO.has(n);
  function walk(v, where, inConditions) {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`, inConditions));
    if (!isObj(v)) return;
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'Ref') {
      const n = v.Ref;
      if (typeof n !== 'string' || !named(n)) bad(where, `!Ref ${JSON.stringify(n)} names no parameter or resource`);
      else if (inConditions && n in resources) bad(where, `!Ref ${n}: conditions may only name parameters`);
      return;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const a = v['Fn::GetAtt'];
      if (!Array.isArray(a) || a.length !== 2 || !(a[0] in resources)) bad(where, `!GetAtt ${JSON.stringify(a)} names no resource`);
      return;
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      const s = v['Fn::Sub'];
      const [str, vars] = Array.isArray(s) ? s : [s, {}];
      if (typeof str !== 'string') return bad(where, '!Sub wants a string');
      for (const m of str.matchAll(/\$\{([^}!][^}]*)\}/g)) {
        const [head, ...rest] = m[1].split('.');
        if (isObj(vars) && m[1] in vars) continue;
        if (rest.length ? !(head in resources) : !named(m[1])) bad(where, `!Sub \${${m[1]}} names nothing`);
      }
      if (isObj(vars)) walk(vars, `${where}.Fn::Sub`, inConditions);
      return;
    }
    if (keys.length === 1 && keys[0] === 'Fn::If') {
      const a = v['Fn::If'];
      if (!Array.isArray(a) || a.length !== 3) return bad(where, '!If wants [condition, then, else]');
      if (!(a[0] in conditions)) bad(where, `!If: no condition '${a[0]}'`);
      return walk(a.slice(1), `${where}.Fn::If`, inConditions);
    }
    if (keys.length === 1 && keys[0] === 'Condition' && typeof v.Condition === 'string' && inConditions) {
      if (!(v.Condition in conditions)) bad(where, `no condition '${v.Condition}'`);
      return;
    }
    for (const k of keys) {
      if (k.startsWith('Fn::') && !Object.values(INTRINSICS).includes(k)) bad(where, `unknown function ${k}`);
      walk(v[k], `${where}.${k}`, inConditions);
    }
  }
  walk(conditions, 'Conditions', true);
  walk(resources, 'Resources', false);
  walk(t.Outputs || {}, 'Outputs', false);

  // EventBridge rules: what they match.
  const rules = {};
  for (const [id, r] of Object.entries(resources)) {
    if (!isObj(r) || r.Type !== 'AWS::Events::Rule') continue;
    const p = (r.Properties || {}).EventPattern;
    if (!isObj(p)) {
      bad(`Resources.${id}`, 'a rule without an EventPattern');
      continue;
    }
    const len = JSON.stringify(p).length;
    if (len > 2048) bad(`Resources.${id}.EventPattern`, `${len} characters, more than EventBridge's 2048`);
    const d = isObj(p.detail) ? p.detail : {};
    rules[id] = {
      state: r.Properties.State, eventBusName: r.Properties.EventBusName,
      source: p.source, detailType: p['detail-type'], eventSource: d.eventSource, eventName: d.eventName,
      targets: (r.Properties.Targets || []).length, patternLength: len,
    };
  }
  return { problems, parameters: Object.keys(params), resources: resourceTypes, rules };
}

const files = process.argv.slice(2);
if (files[0] === '--dump' && files.length === 2) {
  console.log(JSON.stringify(load(files[1]), null, 1));
  process.exit(0);
}
if (!files.length) {
  console.error('usage: node cfn-check.js TEMPLATE... | --dump TEMPLATE');
  process.exit(2);
}
const out = {};
for (const f of files) out[f] = check(f);
console.log(JSON.stringify(out, null, 1));
process.exit(Object.values(out).some((r) => r.problems.length) ? 1 : 0);
