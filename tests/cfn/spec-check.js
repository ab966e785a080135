'use strict';
// Checks CloudFormation templates (as JSON, long-form intrinsics: what
// tests/peers/cfn-check.js --dump writes) against the resource specification
// AWS publishes, as npm's @aws-cdk/aws-service-spec ships it (db.json.gz):
// every resource type exists; every property name exists, at every depth of
// nested property types; required properties are there; literal values
// have the property's type and, where the spec lists them, an allowed
// value; every !GetAtt names an attribute the type has.
//
//   node spec-check.js DB.json.gz TEMPLATE.json...
//
// Prints {"TEMPLATE": ["problem", ...]} and exits 1 when there is any.
// Values made by intrinsic functions are not typed: only their presence is.
const fs = require('fs');
const zlib = require('zlib');

const [dbPath, ...templates] = process.argv.slice(2);
if (!dbPath || !templates.length) {
  process.stderr.write('usage: node spec-check.js DB.json.gz TEMPLATE.json...\n');
  process.exit(2);
}
const db = JSON.parse(zlib.gunzipSync(fs.readFileSync(dbPath)));
const resources = new Map(db.schema.resource.entities.map((r) => [r.cloudFormationType, r]));
const typeDefs = new Map(db.schema.typeDefinition.entities.map((t) => [t.$id, t]));

const isIntrinsic = (v) =>
  v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 &&
  (Object.keys(v)[0] === 'Ref' || Object.keys(v)[0].startsWith('Fn::'));

// check(value, type, where, bad): does a literal value fit the spec's type?
function check(v, t, where, bad) {
  if (isIntrinsic(v)) {
    // !If picks one of two values: both must fit (AWS::NoValue drops it)
    if (v['Fn::If']) for (const b of v['Fn::If'].slice(1)) if (!(b && b.Ref === 'AWS::NoValue')) check(b, t, where, bad);
    return;
  }
  switch (t.type) {
    case 'string':
    case 'date-time':
      if (typeof v !== 'string') return bad(where, `is ${JSON.stringify(v)}, not a string`);
      if (t.allowedValues && !t.allowedValues.includes(v)) bad(where, `is "${v}", not one of ${t.allowedValues.join(', ')}`);
      return;
    case 'integer':
      if (!(Number.isInteger(v) || (typeof v === 'string' && /^-?[0-9]+$/.test(v)))) bad(where, `is ${JSON.stringify(v)}, not an integer`);
      return;
    case 'number':
      if (!(typeof v === 'number' || (typeof v === 'string' && v !== '' && !isNaN(Number(v))))) bad(where, `is ${JSON.stringify(v)}, not a number`);
      return;
    case 'boolean':
      if (!(typeof v === 'boolean' || v === 'true' || v === 'false')) bad(where, `is ${JSON.stringify(v)}, not a boolean`);
      return;
    case 'json':
      return;
    case 'tag':
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad(where, 'is not a tag {Key, Value}');
      for (const k of Object.keys(v)) if (k !== 'Key' && k !== 'Value') bad(`${where}.${k}`, 'is not a member of a tag');
      return;
    case 'array':
      if (!Array.isArray(v)) return bad(where, 'is not a list');
      v.forEach((e, i) => check(e, t.element, `${where}[${i}]`, bad));
      return;
    case 'map':
      if (!v || typeof v !== 'object' || Array.isArray(v)) return bad(where, 'is not a map');
      for (const [k, e] of Object.entries(v)) check(e, t.element, `${where}.${k}`, bad);
      return;
    case 'union': {
      for (const u of t.types) {
        const errs = [];
        check(v, u, where, (w, m) => errs.push([w, m]));
        if (!errs.length) return;
      }
      return bad(where, `fits none of the types ${t.types.map((u) => u.type).join(', ')}`);
    }
    case 'ref': {
      const def = typeDefs.get(t.reference.$ref);
      if (!def) return bad(where, `has a type the spec does not define (${t.reference.$ref})`);
      return checkProps(v, def.properties, where, bad);
    }
    default:
      return bad(where, `has a type this checker does not know (${t.type})`);
  }
}

// checkProps(object, spec properties, where, bad): names, required, values
function checkProps(v, props, where, bad) {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return bad(where, 'is not an object');
  for (const [k, e] of Object.entries(v)) {
    const p = props[k];
    if (!p) bad(`${where}.${k}`, 'is not a property of this type');
    else check(e, p.type, `${where}.${k}`, bad);
  }
  for (const [k, p] of Object.entries(props)) if (p.required && !(k in v)) bad(`${where}.${k}`, 'is required');
}

// every {"Fn::GetAtt": [resource, attribute]} anywhere in x
function* getAtts(x) {
  if (Array.isArray(x)) for (const e of x) yield* getAtts(e);
  else if (x && typeof x === 'object') {
    if (Array.isArray(x['Fn::GetAtt'])) yield x['Fn::GetAtt'];
    for (const e of Object.values(x)) yield* getAtts(e);
  }
}

const report = {};
let problems = 0;
for (const file of templates) {
  const tpl = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = (report[file] = []);
  const bad = (where, msg) => out.push(`${where} ${msg}`);
  for (const [id, r] of Object.entries(tpl.Resources || {})) {
    const spec = resources.get(r.Type);
    if (!spec) {
      bad(`Resources.${id}`, `has type ${r.Type}, which the spec does not have`);
      continue;
    }
    checkProps(r.Properties || {}, spec.properties, `Resources.${id}.Properties`, bad);
  }
  for (const [res, attr] of getAtts(tpl)) {
    const r = tpl.Resources && tpl.Resources[res];
    const spec = r && resources.get(r.Type);
    if (spec && !(attr in spec.attributes)) bad(`!GetAtt ${res}.${attr}`, `: ${r.Type} has no attribute ${attr}`);
  }
  problems += out.length;
}
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
process.exit(problems ? 1 : 0);
