// A structural check of the Athena statements wdn-enrich prints and the man
// page shows: node athena-sql.js DDL-FILE [SQL-FILE ...]. The SQL parsers on
// npm take neither Athena's Hive DDL nor UNLOAD, so this checks what can go
// wrong here: strings and quotes closed, brackets balanced, statements ended,
// known statement forms, and every column a query names (with its struct
// fields, at any depth) defined by the DDL's tables. One line per problem.
'use strict';
const fs = require('fs');

function tokens(text) {
	const out = [];
	let i = 0;
	while (i < text.length) {
		const c = text[i];
		if (/\s/.test(c)) { i++; continue; }
		if (text.startsWith('--', i)) { i = text.indexOf('\n', i); if (i < 0) break; continue; }
		if (c === "'" || c === '"' || c === '`') {
			let j = i + 1, v = '';
			for (;;) {
				if (j >= text.length) throw new Error(`unclosed ${c} at offset ${i}`);
				if (text[j] === c && text[j + 1] === c) { v += c; j += 2; continue; }
				if (text[j] === c) break;
				v += text[j++];
			}
			out.push({ t: c === "'" ? 'str' : 'id', v, q: true });
			i = j + 1;
			continue;
		}
		const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]+|^(<=|>=|<>|!=|\|\||[(),;.<>=:*+\-/\[\]%{}$])/.exec(text.slice(i));
		if (!m) throw new Error(`unexpected '${c}' at offset ${i}`);
		out.push({ t: /^[A-Za-z_]/.test(m[0]) ? 'id' : /^[0-9]/.test(m[0]) ? 'num' : 'p', v: m[0] });
		i += m[0].length;
	}
	return out;
}

function statements(text) {
	const toks = tokens(text), list = [];
	let cur = [];
	for (const k of toks) {
		if (k.t === 'p' && k.v === ';') { if (cur.length) list.push(cur); cur = []; } else cur.push(k);
	}
	if (cur.length) throw new Error('a statement does not end with ;');
	return list;
}

const up = (k) => (k && k.t === 'id' && !k.q ? k.v.toUpperCase() : null);

// TYPE at toks[i]: returns [type, next index]; a type is 'scalar', or
// { struct: {name: type} }, { array: type }, { map: [k, v] }.
function parseType(toks, i) {
	const name = up(toks[i]);
	if (!name) throw new Error(`a type expected at '${toks[i] && toks[i].v}'`);
	const expect = (j, v) => { if (!toks[j] || toks[j].v !== v) throw new Error(`'${v}' expected after ${name}`); return j + 1; };
	if (name === 'STRUCT') {
		const fields = {};
		i = expect(i + 1, '<');
		for (;;) {
			const f = toks[i];
			if (!f || f.t !== 'id') throw new Error('a field name expected in STRUCT');
			i = expect(i + 1, ':');
			let t;
			[t, i] = parseType(toks, i);
			if (fields[f.v.toLowerCase()]) throw new Error(`field ${f.v} twice`);
			fields[f.v.toLowerCase()] = t;
			if (toks[i] && toks[i].v === ',') { i++; continue; }
			return [{ struct: fields }, expect(i, '>')];
		}
	}
	if (name === 'ARRAY') { let t; [t, i] = parseType(toks, expect(i + 1, '<')); return [{ array: t }, expect(i, '>')]; }
	if (name === 'MAP') {
		let k, v;
		[k, i] = parseType(toks, expect(i + 1, '<'));
		[v, i] = parseType(toks, expect(i, ','));
		return [{ map: [k, v] }, expect(i, '>')];
	}
	if (!['STRING', 'BOOLEAN', 'BIGINT', 'INT', 'DOUBLE', 'TIMESTAMP', 'DATE'].includes(name))
		throw new Error(`unknown type ${name}`);
	return ['scalar', i + 1];
}

// (name TYPE, ...) at toks[i] (the '('): returns [{name: type}, next index].
function parseColumns(toks, i) {
	const cols = {};
	if (toks[i].v !== '(') throw new Error('( expected');
	i++;
	for (;;) {
		const n = toks[i];
		let t;
		[t, i] = parseType(toks, i + 1);
		if (cols[n.v.toLowerCase()]) throw new Error(`column ${n.v} twice`);
		cols[n.v.toLowerCase()] = t;
		if (toks[i].v === ',') { i++; continue; }
		if (toks[i].v !== ')') throw new Error(`, or ) expected at '${toks[i].v}'`);
		return [cols, i + 1];
	}
}

const tables = {};
function defineTable(st) {
	// CREATE EXTERNAL TABLE [IF NOT EXISTS] name ( cols ) [PARTITIONED BY ( cols )] ...
	let i = 3;
	if (up(st[i]) === 'IF') i += 3;
	const name = st[i].v.toLowerCase();
	let cols;
	[cols, i] = parseColumns(st, i + 1);
	for (; i < st.length; i++) {
		if (up(st[i]) === 'PARTITIONED' && up(st[i + 1]) === 'BY') {
			let p;
			[p, i] = parseColumns(st, i + 2);
			Object.assign(cols, p);
		}
	}
	tables[name] = cols;
}

const KEYWORDS = new Set(('SELECT FROM WHERE AND OR NOT IN IS NULL AS ON BY ORDER GROUP HAVING ' +
	'LIMIT UNION ALL DISTINCT BETWEEN LIKE CASE WHEN THEN ELSE END ASC DESC TRUE FALSE WITH ' +
	'CREATE REPLACE VIEW UNLOAD TO INSERT INTO DATE TIMESTAMP INTERVAL DAY CROSS JOIN UNNEST ' +
	'LEFT INNER OUTER ESCAPE').split(' '));

let problems = 0;
function problem(msg) { console.log(msg); problems++; }

// Every column chain a statement names resolves in one of its FROM tables.
function checkColumns(st, label) {
	const from = [];
	for (let i = 0; i < st.length; i++)
		if (['FROM', 'JOIN', 'INTO'].includes(up(st[i])) && st[i + 1] && st[i + 1].t === 'id')
			from.push(st[i + 1].v.toLowerCase());
	const known = {}, aliases = new Set();
	for (const t of from) {
		if (!tables[t]) { problem(`${label}: table ${t} is not defined`); continue; }
		Object.assign(known, tables[t]);
	}
	for (let i = 0; i < st.length; i++)
		if (up(st[i]) === 'AS' && st[i + 1] && st[i + 1].t === 'id') aliases.add(st[i + 1].v.toLowerCase());
	for (let i = 0; i < st.length; i++) {
		const k = st[i], prev = st[i - 1];
		if (k.t !== 'id') continue;
		if (!k.q && KEYWORDS.has(k.v.toUpperCase())) continue;
		if (prev && prev.t === 'p' && prev.v === '.') continue; // inside a chain
		if (prev && ['FROM', 'JOIN', 'INTO', 'VIEW', 'AS'].includes(up(prev))) continue;
		if (st[i + 1] && st[i + 1].v === '(' && !k.q) continue; // a function
		const chain = [k.v.toLowerCase()];
		let j = i + 1;
		while (st[j] && st[j].v === '.' && st[j + 1] && st[j + 1].t === 'id') { chain.push(st[j + 1].v.toLowerCase()); j += 2; }
		if (aliases.has(chain[0])) continue;
		let t = known[chain[0]];
		if (t === undefined) { problem(`${label}: column ${chain.join('.')} is not defined`); continue; }
		for (const f of chain.slice(1)) {
			if (!t || !t.struct || !(f in t.struct)) { problem(`${label}: ${chain.join('.')}: no field ${f}`); break; }
			t = t.struct[f];
		}
	}
}

function checkBalance(st, label) {
	let depth = 0;
	for (const k of st) {
		if (k.t !== 'p') continue;
		if (k.v === '(') depth++;
		if (k.v === ')' && --depth < 0) break;
	}
	if (depth !== 0) problem(`${label}: parentheses do not balance`);
}

function check(st, label) {
	checkBalance(st, label);
	const head = st.slice(0, 5).map(up).join(' ');
	try {
		if (head.startsWith('CREATE EXTERNAL TABLE')) {
			defineTable(st);
		} else if (head.startsWith('ALTER TABLE')) {
			const t = st[2].v.toLowerCase();
			if (!tables[t]) problem(`${label}: ALTER of undefined table ${t}`);
			const ok = (up(st[3]) === 'SET' && up(st[4]) === 'TBLPROPERTIES') ||
				(up(st[3]) === 'ADD' && up(st[4]) === 'IF') ||
				(up(st[3]) === 'PARTITION' && st.some((k) => up(k) === 'LOCATION'));
			if (!ok) problem(`${label}: unknown ALTER TABLE form`);
			for (let i = 0; i < st.length; i++)
				if (up(st[i]) === 'PARTITION' && st[i + 1].v === '(' && !(st[i + 2].v.toLowerCase() in tables[t]))
					problem(`${label}: ${st[i + 2].v} is not a column of ${t}`);
		} else if (head.startsWith('CREATE OR REPLACE VIEW')) {
			const name = st[4].v.toLowerCase();
			checkColumns(st.slice(6), label);
			// the view's columns: the first SELECT list's names, typed from its tables
			const from = st.findIndex((k) => up(k) === 'FROM');
			const src = tables[st[from + 1].v.toLowerCase()] || {};
			const cols = {};
			for (const k of st.slice(7, from)) if (k.t === 'id') cols[k.v.toLowerCase()] = src[k.v.toLowerCase()];
			tables[name] = cols;
		} else if (head.startsWith('UNLOAD')) {
			let depth = 0, end = 1;
			for (; end < st.length; end++) {
				if (st[end].v === '(') depth++;
				if (st[end].v === ')' && --depth === 0) break;
			}
			checkColumns(st.slice(2, end), label);
			if (up(st[end + 1]) !== 'TO' || st[end + 2].t !== 'str' || !/^s3:\/\/.+\/$/.test(st[end + 2].v))
				problem(`${label}: UNLOAD without TO 's3://…/'`);
		} else if (head.startsWith('SELECT') || head.startsWith('INSERT INTO') || head.startsWith('WITH')) {
			checkColumns(st, label);
		} else {
			problem(`${label}: unknown statement ${head}`);
		}
	} catch (e) {
		problem(`${label}: ${e.message}`);
	}
}

// --paths DDL-FILE TABLE COLUMN: the field paths of a structure column, one a line
if (process.argv[2] === '--paths') {
	statements(fs.readFileSync(process.argv[3], 'utf8')).forEach((st) => check(st, process.argv[3]));
	const walk = (t, at) => {
		if (t && t.struct) for (const [k, v] of Object.entries(t.struct)) { console.log(at + k); walk(v, at + k + '.'); }
	};
	walk((tables[process.argv[4]] || {})[process.argv[5]], '');
	process.exit(problems ? 1 : 0);
}

let n = 0;
for (const file of process.argv.slice(2)) {
	let list;
	try {
		list = statements(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		problem(`${file}: ${e.message}`);
		continue;
	}
	list.forEach((st, k) => check(st, `${file}: statement ${k + 1}`));
	n += list.length;
}
console.log(`# ${n} statements, ${problems} problems`);
process.exit(problems ? 1 : 0);
