/*
 * gentrail: writes synthetic CloudTrail log files shaped like real deliveries
 * (gzip, one compact {"Records":[...]} line each, CloudTrail's key order and
 * file layout), with role-assumption chains whose keys later act in the trail.
 * Same seed, same options: same bytes. Standalone: libc and zlib only.
 *
 *   gentrail [-s SEED] [-n EVENTS_PER_FILE] [-f FILES] [-i ISSUE_PERCENT]
 *            [-c CHAIN_DEPTH] [--start YYYY-MM-DD] [--keys FILE] [--deepest]
 *            [-v] -o DIR
 *
 * Depth of a key: how many issuing calls separate it from its root identity
 * (IAM user key, EC2/Lambda service, SAML or OIDC federation): 1 for a
 * session issued to the root, CHAIN_DEPTH at most. Its PrincipalChain has
 * depth + 1 entries.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "wdn.h"
#include "datetime.h"
#include "fs.h"

/* ---------- growable byte buffer ---------- */

typedef struct {
	char *p;
	size_t n, cap;
	int fixed; /* wraps a caller's array: must never grow */
} buf;

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "gentrail: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

static void grow(buf *b, size_t add)
{
	if (b->n + add <= b->cap)
		return;
	if (b->fixed)
		die("internal error: fixed buffer overflow", NULL);
	size_t c = b->cap ? b->cap : 1 << 16;
	while (c < b->n + add)
		c *= 2;
	char *p = realloc(b->p, c);
	if (!p)
		die("out of memory", NULL);
	b->p = p;
	b->cap = c;
}

static inline void put(buf *b, const char *s, size_t n)
{
	if (!n)
		return; /* memcpy wants pointers even for nothing */
	grow(b, n);
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* string literals only: "" s "" rejects anything else at compile time */
#define LIT(b, s) put((b), "" s "", sizeof(s) - 1)

/* Every string the generator writes comes from fixed tables or safe
 * alphabets, so no JSON escaping is needed. */
static inline void str(buf *b, const char *s) { put(b, s, strlen(s)); }

static inline void chr(buf *b, char c)
{
	grow(b, 1);
	b->p[b->n++] = c;
}

/* "s" with quotes */
static inline void qstr(buf *b, const char *s)
{
	chr(b, '"');
	str(b, s);
	chr(b, '"');
}

static void num(buf *b, uint64_t v)
{
	char t[24];
	int i = 24;
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	put(b, t + i, (size_t)(24 - i));
}

static void num0(buf *b, unsigned v, int width)
{
	char t[12];
	for (int i = width - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put(b, t, (size_t)width);
}

/* ---------- deterministic PRNG: xoshiro256** seeded by splitmix64 ---------- */

static uint64_t rs[4];

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;
	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

/* uniform in [0, n) */
static inline uint32_t rn(uint32_t n) { return (uint32_t)(((rnd() >> 32) * n) >> 32); }
static inline int pct(unsigned p) { return rn(100) < p; }
#define PICK(arr) (arr[rn(sizeof(arr) / sizeof(arr[0]))])

static const char HEX[] = "0123456789abcdef";
static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char ALNUM[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void rand_chars(char *out, int n, const char *alpha, int bits)
{
	uint64_t r = 0;
	int left = 0;
	for (int i = 0; i < n; i++) {
		if (left < bits) {
			r = rnd();
			left = 64;
		}
		out[i] = alpha[r & ((1u << bits) - 1)];
		r >>= bits;
		left -= bits;
	}
}

static void put_rand(buf *b, int n, const char *alpha, int bits)
{
	grow(b, (size_t)n);
	rand_chars(b->p + b->n, n, alpha, bits);
	b->n += (size_t)n;
}

static void put_alnum(buf *b, int n)
{
	grow(b, (size_t)n);
	for (int i = 0; i < n; i++)
		b->p[b->n + (size_t)i] = ALNUM[rn(62)];
	b->n += (size_t)n;
}

static void uuid(char out[37])
{
	uint64_t a = rnd(), c = rnd();
	for (int i = 0, k = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			out[i] = '-';
			continue;
		}
		unsigned v;
		if (i == 14)
			v = 4;
		else if (i == 19)
			v = 8 | (unsigned)(c & 3);
		else if (k < 16)
			v = (unsigned)(a >> (4 * k++)) & 15;
		else
			v = (unsigned)(c >> (4 * (k++ - 16) + 2)) & 15;
		out[i] = HEX[v];
	}
	out[36] = 0;
}

static void put_uuid(buf *b)
{
	char u[37];
	uuid(u);
	put(b, u, 36);
}

/* ---------- civil time (libwdn's days-from-civil) ---------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	return wdn_time_days_from_civil(y, (int)m, (int)d);
}

typedef struct {
	int y;
	unsigned mo, d, h, mi, s;
} civil;

static civil civil_from(int64_t t)
{
	civil c;
	int64_t z = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
	unsigned sod = (unsigned)(t - z * 86400);
	int m, d;

	c.h = sod / 3600;
	c.mi = sod / 60 % 60;
	c.s = sod % 60;
	wdn_time_civil_from_days(z, &y, &m, &d);
	c.y = (int)y;
	c.mo = (unsigned)m;
	c.d = (unsigned)d;
	return c;
}

static void put_iso(buf *b, int64_t t)
{
	civil c = civil_from(t);
	num0(b, (unsigned)c.y, 4);
	chr(b, '-');
	num0(b, c.mo, 2);
	chr(b, '-');
	num0(b, c.d, 2);
	chr(b, 'T');
	num0(b, c.h, 2);
	chr(b, ':');
	num0(b, c.mi, 2);
	chr(b, ':');
	num0(b, c.s, 2);
	chr(b, 'Z');
}

/* credentials.expiration as CloudTrail writes it: "Jul 3, 2021 11:27:09 PM" */
static void put_exp(buf *b, int64_t t)
{
	static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	civil c = civil_from(t);
	str(b, mon[c.mo - 1]);
	chr(b, ' ');
	num(b, c.d);
	LIT(b, ", ");
	num(b, (unsigned)c.y);
	chr(b, ' ');
	num(b, c.h % 12 ? c.h % 12 : 12);
	chr(b, ':');
	num0(b, c.mi, 2);
	chr(b, ':');
	num0(b, c.s, 2);
	str(b, c.h < 12 ? " AM" : " PM");
}

/* ---------- the simulated organisation ---------- */

#define NACCT 3
#define NREG 2
#define NSTREAM (NACCT * NREG)
#define WINDOW 300 /* CloudTrail delivers about every 5 minutes */
#define SPAN (WINDOW / NSTREAM)
#define POOL_MAX 65536

static const char *REGION[NREG] = {"us-east-1", "eu-west-1"};
static const char *ACCT_ALIAS[NACCT] = {"identity", "prod", "data"};

static char acct_id[NACCT][13];
static uint64_t acct_num[NACCT];
static uint64_t id_ctr[NACCT];

enum { R_GENERAL, R_EC2, R_LAMBDA, R_OIDC, R_SAML, R_NKIND };

static const struct {
	const char *name, *path;
	int kind;
} ROLE_T[] = {
	{"OrganizationAccountAccessRole", "/", R_GENERAL},
	{"Admin", "/", R_GENERAL},
	{"ReadOnly", "/", R_GENERAL},
	{"deploy-pipeline", "/ci/", R_GENERAL},
	{"data-platform-etl", "/teams/data/", R_GENERAL},
	{"security-audit", "/", R_GENERAL},
	{"terraform-apply", "/ci/", R_GENERAL},
	{"incident-response", "/", R_GENERAL},
	{"log-archive-writer", "/service-role/", R_GENERAL},
	{"app-backend", "/", R_GENERAL},
	{"billing-reader", "/", R_GENERAL},
	{"cross-account-backup", "/", R_GENERAL},
	{"ec2-app-server", "/", R_EC2},
	{"ec2-batch-worker", "/", R_EC2},
	{"lambda-orders-api", "/service-role/", R_LAMBDA},
	{"github-actions-deploy", "/ci/", R_OIDC},
	{"Okta-Admin", "/", R_SAML},
	{"Okta-Developer", "/", R_SAML},
};
#define NROLE_T (sizeof(ROLE_T) / sizeof(ROLE_T[0]))
#define NROLE (NROLE_T * NACCT)

typedef struct {
	const char *name, *path;
	int acct, kind;
	char id[22]; /* AROA... */
} role;

static role roles[NROLE];
static int role_by_kind[NACCT][R_NKIND][NROLE_T];
static int nrole_by_kind[NACCT][R_NKIND];

static const char *FIRST[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
			      "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
			      "trent", "victor", "walter", "yasmin", "zoe", "omar", "priya", "chen"};
static const char *LAST[] = {"nguyen", "smith", "garcia", "muller", "rossi", "kowalski",
			     "tanaka", "okafor", "silva", "novak", "dubois", "jensen"};
static const char *SVC_USERS[] = {"ci-bot", "legacy-app", "backup-agent", "breakglass"};

#define NUSER_MAIN 20
#define NUSER_OTHER 3
#define NUSER (NUSER_MAIN + NUSER_OTHER * (NACCT - 1))

typedef struct {
	char name[32];
	int acct;
	char aida[22], akia[21], console[21];
	int64_t console_start;
	uint16_t ip, ua;
} user;

static user users[NUSER];
static int user_by_acct[NACCT][NUSER];
static int nuser_by_acct[NACCT];

#define NIP 64
static char ips[NIP][16];

static const char *UA[] = {
	"aws-cli/2.2.16 Python/3.8.8 Linux/5.4.0-1051-aws exe/x86_64.ubuntu.20 prompt/off command/s3.cp",
	"aws-cli/1.19.105 Python/3.9.5 Darwin/20.5.0 botocore/1.20.105",
	"Boto3/1.17.105 Python/3.8.10 Linux/5.10.35-31.135.amzn2.x86_64 exec-env/AWS_ECS_FARGATE Botocore/1.20.105",
	"aws-sdk-go/1.38.69 (go1.16.5; darwin; arm64)",
	"aws-sdk-go/1.38.71 (go1.16.5; linux; amd64)",
	"aws-sdk-java/1.12.19 Linux/5.4.117-58.216.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/11.0.11+9-LTS java/11.0.11 vendor/Amazon.com_Inc. cfg/retry-mode/standard",
	"APN/1.0 HashiCorp/1.0 Terraform/1.0.1 (+https://www.terraform.io) terraform-provider-aws/3.48.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.38.68 (go1.16; linux; amd64)",
	"aws-sdk-nodejs/2.936.0 linux/v14.17.1 exec-env/AWS_Lambda_nodejs14.x promise",
	"[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.1030 Linux/5.4.116-64.217.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.292-b10 java/1.8.0_292 vendor/Oracle_Corporation cfg/retry-mode/legacy]",
};
#define NUA (sizeof(UA) / sizeof(UA[0]))
#define UA_CONSOLE "AWS Internal"

static const char *TAG_K[] = {"Project", "CostCenter", "Team", "Environment", "Owner", "DataClass"};
/* two values for each key above, in order */
static const char *TAG_V[] = {"apollo", "gemini", "4711", "8012", "platform", "payments", "prod",
			      "staging", "alice", "bob", "confidential", "public"};
static const char *REPOS[] = {"infra-live", "orders-service", "data-pipelines", "website"};

/* Access key / unique IDs as AWS mints them: base32 after the prefix, the
 * account in bits 7..46 of the first 6 bytes, bit 47 set (new-style key);
 * the rest comes from a per-account counter through a bijection, so every
 * generated ID is unique without a lookup table. */
static void make_id(char *out, const char *prefix, int a, int nchars)
{
	const uint64_t m39 = (1ull << 39) - 1;
	uint64_t x = (++id_ctr[a] * 0x9E3779B97F4A7C15ull) & m39;
	x ^= x >> 19;
	x = (x * 0xD6E8FEB86659FD93ull) & m39;
	x ^= x >> 17;
	uint64_t hi = (1ull << 47) | (acct_num[a] << 7) | (x & 0x7f); /* 48 bits */
	uint64_t lo = ((x >> 7) << 8) | (rnd() & 0xff);               /* 40 bits */
	memcpy(out, prefix, 4);
	for (int i = 0; i < nchars; i++) {
		int bit = i * 5; /* bits 0..47 from hi, 48..87 from lo, MSB first */
		unsigned v = 0;
		for (int j = 0; j < 5; j++, bit++) {
			unsigned bv = bit < 48 ? (unsigned)(hi >> (47 - bit)) & 1
					       : (unsigned)(lo >> (39 - (bit - 48))) & 1;
			v = v << 1 | bv;
		}
		out[4 + i] = B32[v];
	}
	out[4 + nchars] = 0;
}

/* ---------- live sessions, per account that owns the role ---------- */

enum { S_ROLE, S_EC2, S_LAMBDA, S_OIDC, S_SAML };

typedef struct {
	char key[21];
	uint8_t depth, kind, mfa, repo;
	uint16_t role, ip, ua;
	uint16_t srcid; /* 1 + user whose name is the SourceIdentity, or 0 */
	uint16_t who;   /* SAML sessions: 1 + user who signed in */
	int64_t start, end;
	char name[48];
} session;

typedef struct {
	session *v;
	size_t n, cap;
} pool;

static pool pools[NACCT];

static void pool_add(int a, const session *s)
{
	pool *p = &pools[a];
	if (p->n == POOL_MAX) { /* bounded memory: retire a random one */
		p->v[rn((uint32_t)p->n)] = *s;
		return;
	}
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->v = realloc(p->v, p->cap * sizeof *p->v);
		if (!p->v)
			die("out of memory", NULL);
	}
	p->v[p->n++] = *s;
}

/* A live session of account a usable at t, shallower than maxdepth. */
static session *pool_pick(int a, int64_t t, int maxdepth)
{
	pool *p = &pools[a];
	for (int tries = 0; tries < 8 && p->n; tries++) {
		size_t i = rn((uint32_t)p->n);
		session *s = &p->v[i];
		if (s->end <= t + 5) { /* expired (or about to): drop it */
			*s = p->v[--p->n];
			continue;
		}
		if (s->depth < maxdepth)
			return s;
	}
	return NULL;
}

/* ---------- options and output state ---------- */

static int opt_depth = 4;
static uint32_t opt_issue_ppm = 30000;
static FILE *keys_out;
static buf keysb;
static char deepest[21];
static int deepest_depth;
static uint64_t n_issued, n_events;

static void note_key(const session *s)
{
	n_issued++;
	if (s->depth > deepest_depth) {
		deepest_depth = s->depth;
		memcpy(deepest, s->key, 21);
	}
	if (!keys_out)
		return;
	put(&keysb, s->key, 20);
	chr(&keysb, ' ');
	num(&keysb, s->depth);
	chr(&keysb, '\n');
	if (keysb.n > 1 << 20) {
		if (fwrite(keysb.p, 1, keysb.n, keys_out) != keysb.n)
			die("cannot write keys file", strerror(errno));
		keysb.n = 0;
	}
}

/* cross-account copies wait for the role account's next file */
typedef struct {
	buf b;
	size_t *off;
	size_t n, cap;
} pending;

static pending pend[NACCT];

/* ---------- identities ---------- */

enum { ID_USER, ID_CONSOLE, ID_SESSION, ID_SERVICE, ID_SAML, ID_OIDC, ID_ACCOUNT };

typedef struct {
	int kind;
	const user *u;
	const session *s;
	const char *svc;   /* AWSService: who */
	const char *invby; /* invokedBy on a principal's call */
	int acct;
	const char *ip, *ua;
} actor;

static void put_role_arn(buf *b, const role *r)
{
	LIT(b, "arn:aws:iam::");
	str(b, acct_id[r->acct]);
	LIT(b, ":role");
	str(b, r->path);
	str(b, r->name);
}

static void put_sess_arn(buf *b, const role *r, const char *name)
{
	LIT(b, "arn:aws:sts::");
	str(b, acct_id[r->acct]);
	LIT(b, ":assumed-role/");
	str(b, r->name);
	chr(b, '/');
	str(b, name);
}

static void put_user_arn(buf *b, const user *u)
{
	LIT(b, "arn:aws:iam::");
	str(b, acct_id[u->acct]);
	LIT(b, ":user/");
	str(b, u->name);
}

static void put_oidc_arn(buf *b, int a)
{
	LIT(b, "arn:aws:iam::");
	str(b, acct_id[a]);
	LIT(b, ":oidc-provider/token.actions.githubusercontent.com");
}

static void put_oidc_sub(buf *b, unsigned repo)
{
	LIT(b, "repo:example-org/");
	str(b, REPOS[repo % 4]);
	LIT(b, ":ref:refs/heads/main");
}

static char saml_idp[NACCT][29];

static void put_saml_subject(buf *b, const session *s)
{
	str(b, users[s->who - 1].name);
	LIT(b, "@example.com");
}

static void put_identity(buf *b, const actor *ac)
{
	const user *u = ac->u;
	const session *s = ac->s;
	switch (ac->kind) {
	case ID_USER:
	case ID_CONSOLE:
		LIT(b, "{\"type\":\"IAMUser\",\"principalId\":\"");
		str(b, u->aida);
		LIT(b, "\",\"arn\":\"");
		put_user_arn(b, u);
		LIT(b, "\",\"accountId\":\"");
		str(b, acct_id[u->acct]);
		LIT(b, "\",\"accessKeyId\":\"");
		str(b, ac->kind == ID_USER ? u->akia : u->console);
		LIT(b, "\",\"userName\":\"");
		str(b, u->name);
		chr(b, '"');
		if (ac->kind == ID_CONSOLE) {
			LIT(b, ",\"sessionContext\":{\"sessionIssuer\":{},\"webIdFederationData\":{},"
			       "\"attributes\":{\"creationDate\":\"");
			put_iso(b, u->console_start);
			LIT(b, "\",\"mfaAuthenticated\":\"true\"}}");
		}
		break;
	case ID_SESSION: {
		const role *r = &roles[s->role];
		LIT(b, "{\"type\":\"AssumedRole\",\"principalId\":\"");
		str(b, r->id);
		chr(b, ':');
		str(b, s->name);
		LIT(b, "\",\"arn\":\"");
		put_sess_arn(b, r, s->name);
		LIT(b, "\",\"accountId\":\"");
		str(b, acct_id[r->acct]);
		LIT(b, "\",\"accessKeyId\":\"");
		str(b, s->key);
		LIT(b, "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"");
		str(b, r->id);
		LIT(b, "\",\"arn\":\"");
		put_role_arn(b, r);
		LIT(b, "\",\"accountId\":\"");
		str(b, acct_id[r->acct]);
		LIT(b, "\",\"userName\":\"");
		str(b, r->name);
		LIT(b, "\"},\"webIdFederationData\":{");
		if (s->kind == S_OIDC) {
			LIT(b, "\"federatedProvider\":\"");
			put_oidc_arn(b, r->acct);
			LIT(b, "\",\"attributes\":{}");
		}
		LIT(b, "},\"attributes\":{\"creationDate\":\"");
		put_iso(b, s->start);
		LIT(b, "\",\"mfaAuthenticated\":\"");
		str(b, s->mfa ? "true" : "false");
		LIT(b, "\"}");
		if (s->srcid) {
			LIT(b, ",\"sourceIdentity\":\"");
			str(b, users[s->srcid - 1].name);
			chr(b, '"');
		}
		if (s->kind == S_EC2)
			LIT(b, ",\"ec2RoleDelivery\":\"2.0\"");
		chr(b, '}');
		break;
	}
	case ID_SERVICE:
		LIT(b, "{\"type\":\"AWSService\",\"invokedBy\":\"");
		str(b, ac->svc);
		LIT(b, "\"}");
		return;
	case ID_SAML:
		LIT(b, "{\"type\":\"SAMLUser\",\"principalId\":\"");
		str(b, saml_idp[ac->acct]);
		chr(b, ':');
		put_saml_subject(b, s);
		LIT(b, "\",\"userName\":\"");
		put_saml_subject(b, s);
		LIT(b, "\",\"identityProvider\":\"");
		str(b, saml_idp[ac->acct]);
		LIT(b, "\"}");
		return;
	case ID_OIDC:
		LIT(b, "{\"type\":\"WebIdentityUser\",\"principalId\":\"");
		put_oidc_arn(b, ac->acct);
		LIT(b, ":sts.amazonaws.com:");
		put_oidc_sub(b, s->repo);
		LIT(b, "\",\"userName\":\"");
		put_oidc_sub(b, s->repo);
		LIT(b, "\",\"identityProvider\":\"");
		put_oidc_arn(b, ac->acct);
		LIT(b, "\"}");
		return;
	case ID_ACCOUNT: /* the role owner's copy of a cross-account call */
		LIT(b, "{\"type\":\"AWSAccount\",\"principalId\":\"");
		if (s) {
			str(b, roles[s->role].id);
			chr(b, ':');
			str(b, s->name);
		} else {
			str(b, u->aida);
		}
		LIT(b, "\",\"accountId\":\"");
		str(b, acct_id[ac->acct]);
		LIT(b, "\"}");
		return;
	}
	if (ac->invby) {
		LIT(b, ",\"invokedBy\":\"");
		str(b, ac->invby);
		chr(b, '"');
	}
	chr(b, '}');
}

/* ---------- event envelope ---------- */

static void ev_head(buf *b, const actor *ac, int64_t t, const char *src, const char *name,
		    const char *region)
{
	LIT(b, "{\"eventVersion\":\"1.08\",\"userIdentity\":");
	put_identity(b, ac);
	LIT(b, ",\"eventTime\":\"");
	put_iso(b, t);
	LIT(b, "\",\"eventSource\":\"");
	str(b, src);
	LIT(b, "\",\"eventName\":\"");
	str(b, name);
	LIT(b, "\",\"awsRegion\":\"");
	str(b, region);
	LIT(b, "\",\"sourceIPAddress\":\"");
	str(b, ac->ip);
	LIT(b, "\",\"userAgent\":\"");
	str(b, ac->ua);
	chr(b, '"');
}

static void ev_error(buf *b, const actor *ac, const char *action)
{
	LIT(b, ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"");
	if (!action) {
		LIT(b, "Access Denied\"");
		return;
	}
	LIT(b, "User: ");
	if (ac->kind == ID_SESSION)
		put_sess_arn(b, &roles[ac->s->role], ac->s->name);
	else
		put_user_arn(b, ac->u);
	LIT(b, " is not authorized to perform: ");
	str(b, action);
	LIT(b, " because no identity-based policy allows the ");
	str(b, action);
	LIT(b, " action\"");
}

/* requestID (uuid, or S3's 16 characters), eventID, readOnly */
static void ev_ids(buf *b, int s3id, const char *reqid, int ro)
{
	LIT(b, ",\"requestID\":\"");
	if (reqid)
		str(b, reqid);
	else if (s3id)
		put_rand(b, 16, ALNUM, 5); /* 0-9A-V: uppercase, like S3's */
	else
		put_uuid(b);
	LIT(b, "\",\"eventID\":\"");
	put_uuid(b);
	str(b, ro ? "\",\"readOnly\":true" : "\",\"readOnly\":false");
}

static void ev_tail(buf *b, const actor *ac, int mgmt, int a, const char *shared, const char *host,
		    const char *region)
{
	LIT(b, ",\"eventType\":\"AwsApiCall\",\"managementEvent\":");
	str(b, mgmt ? "true" : "false");
	LIT(b, ",\"recipientAccountId\":\"");
	str(b, acct_id[a]);
	chr(b, '"');
	if (shared) {
		LIT(b, ",\"sharedEventID\":\"");
		str(b, shared);
		chr(b, '"');
	}
	if (host && rn(8) == 0) {
		LIT(b, ",\"vpcEndpointId\":\"vpce-0");
		put_rand(b, 16, HEX, 4);
		chr(b, '"');
	}
	str(b, mgmt ? ",\"eventCategory\":\"Management\"" : ",\"eventCategory\":\"Data\"");
	/* no TLS details when a service called on the principal's behalf */
	if (host && ac->kind != ID_SERVICE && !ac->invby) {
		if (rn(3))
			LIT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.2\",\"cipherSuite\":\"ECDHE-RSA-AES128-GCM-SHA256\",\"clientProvidedHostHeader\":\"");
		else
			LIT(b, ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":\"");
		str(b, host);
		if (region) {
			chr(b, '.');
			str(b, region);
		}
		LIT(b, ".amazonaws.com\"}");
	}
	if (ac->kind == ID_CONSOLE)
		LIT(b, ",\"sessionCredentialFromConsole\":\"true\"");
	chr(b, '}');
}

/* ---------- resources of the simulated accounts ---------- */

static const char *BUCKET_T[] = {"app-data", "analytics-raw", "backups", "static-assets"};
static const char *KEY_PREFIX[] = {"data/orders", "exports/daily", "raw/clickstream", "img/products"};
static const char *TABLES[] = {"orders", "sessions", "inventory", "feature-flags"};
static const char *FUNCS[] = {"orders-api-handler", "thumbnailer", "audit-forwarder"};
static const char *PARAMS[] = {"/app/prod/db-password", "/app/prod/api-url", "/platform/datadog/api-key",
			       "/app/staging/feature-toggles", "/cdk-bootstrap/hnb659fds/version"};
static const char *SECRETS[] = {"prod/orders/db", "prod/stripe/api-key", "shared/github-token"};
static char kms_keys[NACCT][3][37];
static char secret_sfx[NACCT][3][7];

static void put_bucket(buf *b, int a, unsigned i)
{
	str(b, ACCT_ALIAS[a]);
	chr(b, '-');
	str(b, BUCKET_T[i]);
	chr(b, '-');
	str(b, acct_id[a]);
}

static void put_kms_arn(buf *b, int a, const char *region, unsigned k)
{
	LIT(b, "arn:aws:kms:");
	str(b, region);
	chr(b, ':');
	str(b, acct_id[a]);
	LIT(b, ":key/");
	str(b, kms_keys[a][k]);
}

static void put_s3_key(buf *b, int64_t t, unsigned i)
{
	civil c = civil_from(t);
	str(b, KEY_PREFIX[i]);
	LIT(b, "/year=");
	num(b, (unsigned)c.y);
	LIT(b, "/month=");
	num0(b, c.mo, 2);
	LIT(b, "/day=");
	num0(b, c.d, 2);
	LIT(b, "/part-");
	num0(b, rn(1000), 5);
	chr(b, '-');
	put_uuid(b);
	LIT(b, ".c000.snappy.parquet");
}

static void s3_object(buf *b, const actor *ac, int a, int reg, int64_t t, int get)
{
	const char *region = REGION[reg];
	unsigned bi = rn(4);
	int denied = pct(2);
	ev_head(b, ac, t, "s3.amazonaws.com", get ? "GetObject" : "PutObject", region);
	if (denied)
		ev_error(b, ac, NULL);
	size_t kstart, kend;
	LIT(b, ",\"requestParameters\":{\"bucketName\":\"");
	put_bucket(b, a, bi);
	LIT(b, "\",\"Host\":\"");
	put_bucket(b, a, bi);
	LIT(b, ".s3.");
	str(b, region);
	LIT(b, ".amazonaws.com\",\"key\":\"");
	kstart = b->n;
	put_s3_key(b, t, bi);
	kend = b->n;
	if (get || denied) {
		LIT(b, "\"},\"responseElements\":null");
	} else {
		LIT(b, "\"},\"responseElements\":{\"x-amz-server-side-encryption\":\"aws:kms\","
		       "\"x-amz-server-side-encryption-aws-kms-key-id\":\"");
		put_kms_arn(b, a, region, 0);
		LIT(b, "\",\"x-amz-version-id\":\"");
		put_rand(b, 32, B64, 6);
		LIT(b, "\"}");
	}
	LIT(b, ",\"additionalEventData\":{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":"
	       "\"ECDHE-RSA-AES128-GCM-SHA256\",\"bytesTransferredIn\":");
	num(b, get ? 0 : 1024 + rn(8 << 20));
	LIT(b, ",\"SSEApplied\":\"SSE_KMS\",\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"");
	put_rand(b, 75, B64, 6);
	LIT(b, "=\",\"bytesTransferredOut\":");
	num(b, get && !denied ? 1024 + rn(64 << 20) : 0);
	chr(b, '}');
	ev_ids(b, 1, NULL, get);
	LIT(b, ",\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::");
	put_bucket(b, a, bi);
	chr(b, '/');
	/* the key again: copy what was written above */
	grow(b, kend - kstart);
	memmove(b->p + b->n, b->p + kstart, kend - kstart);
	b->n += kend - kstart;
	LIT(b, "\"},{\"accountId\":\"");
	str(b, acct_id[a]);
	LIT(b, "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::");
	put_bucket(b, a, bi);
	LIT(b, "\"}]");
	/* the host header is virtual-hosted style */
	char host[96];
	buf hb = {host, 0, sizeof host, 1};
	put_bucket(&hb, a, bi);
	LIT(&hb, ".s3");
	chr(&hb, 0);
	ev_tail(b, ac, 0, a, NULL, host, region);
}

static void ec2_describe(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	static const char *names[] = {"DescribeInstances", "DescribeRouteTables", "DescribeSecurityGroups",
				      "DescribeVpcs", "DescribeSubnets", "DescribeVolumes"};
	unsigned w = rn(6);
	char action[40] = "ec2:";
	memcpy(action + 4, names[w], strlen(names[w]) + 1);
	int denied = pct(3);
	ev_head(b, ac, t, "ec2.amazonaws.com", names[w], REGION[reg]);
	if (denied)
		ev_error(b, ac, action);
	switch (w) {
	case 0:
		LIT(b, ",\"requestParameters\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0");
		put_rand(b, 16, HEX, 4);
		LIT(b, "\"}]},\"filterSet\":{}}");
		break;
	case 1:
		LIT(b, ",\"requestParameters\":{\"routeTableIdSet\":{},\"filterSet\":{\"items\":[{\"name\":"
		       "\"association.main\",\"valueSet\":{\"items\":[{\"value\":\"true\"}]}},{\"name\":"
		       "\"vpc-id\",\"valueSet\":{\"items\":[{\"value\":\"vpc-0");
		put_rand(b, 16, HEX, 4);
		LIT(b, "\"}]}}]}}");
		break;
	case 2:
		LIT(b, ",\"requestParameters\":{\"securityGroupSet\":{\"items\":[{\"groupId\":\"sg-0");
		put_rand(b, 16, HEX, 4);
		LIT(b, "\"}]},\"securityGroupIdSet\":{},\"filterSet\":{}}");
		break;
	default:
		LIT(b, ",\"requestParameters\":{\"filterSet\":{\"items\":[{\"name\":\"tag:Environment\","
		       "\"valueSet\":{\"items\":[{\"value\":\"prod\"}]}}]},\"maxResults\":1000}");
		break;
	}
	LIT(b, ",\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	ev_tail(b, ac, 1, a, NULL, "ec2", REGION[reg]);
}

static void kms_call(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	const char *region = REGION[reg];
	int dec = rn(3) != 0;
	unsigned k = rn(3);
	ev_head(b, ac, t, "kms.amazonaws.com", dec ? "Decrypt" : "GenerateDataKey", region);
	LIT(b, ",\"requestParameters\":{");
	if (!dec) {
		LIT(b, "\"keyId\":\"");
		put_kms_arn(b, a, region, k);
		LIT(b, "\",");
	}
	LIT(b, "\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::");
	put_bucket(b, a, rn(4));
	LIT(b, "/");
	put_s3_key(b, t, rn(4));
	LIT(b, "\"},");
	str(b, dec ? "\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}" : "\"keySpec\":\"AES_256\"}");
	LIT(b, ",\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	LIT(b, ",\"resources\":[{\"accountId\":\"");
	str(b, acct_id[a]);
	LIT(b, "\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"");
	put_kms_arn(b, a, region, k);
	LIT(b, "\"}]");
	ev_tail(b, ac, 1, a, NULL, "kms", region);
}

static void ssm_get(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	int denied = pct(3);
	ev_head(b, ac, t, "ssm.amazonaws.com", "GetParameter", REGION[reg]);
	if (denied)
		ev_error(b, ac, "ssm:GetParameter");
	LIT(b, ",\"requestParameters\":{\"name\":\"");
	str(b, PICK(PARAMS));
	LIT(b, "\",\"withDecryption\":true},\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	ev_tail(b, ac, 1, a, NULL, "ssm", REGION[reg]);
}

/* "REGION:ACCOUNT", the middle of a regional ARN */
static void region_account(buf *b, int reg, int a)
{
	str(b, REGION[reg]);
	chr(b, ':');
	str(b, acct_id[a]);
}

static void secret_get(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	unsigned i = rn(3);
	ev_head(b, ac, t, "secretsmanager.amazonaws.com", "GetSecretValue", REGION[reg]);
	LIT(b, ",\"requestParameters\":{\"secretId\":\"arn:aws:secretsmanager:");
	region_account(b, reg, a);
	LIT(b, ":secret:");
	str(b, SECRETS[i]);
	chr(b, '-');
	str(b, secret_sfx[a][i]);
	LIT(b, "\"},\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	ev_tail(b, ac, 1, a, NULL, "secretsmanager", REGION[reg]);
}

static void iam_get(buf *b, const actor *ac, int a, int64_t t)
{
	const role *r = &roles[(size_t)a * NROLE_T + rn(NROLE_T)];
	int w = rn(3);
	static const char *names[] = {"GetRole", "ListAttachedRolePolicies", "ListRolePolicies"};
	ev_head(b, ac, t, "iam.amazonaws.com", names[w], "us-east-1");
	LIT(b, ",\"requestParameters\":{\"roleName\":\"");
	str(b, r->name);
	LIT(b, "\"},\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	ev_tail(b, ac, 1, a, NULL, "iam", NULL);
}

static void sts_whoami(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	ev_head(b, ac, t, "sts.amazonaws.com", "GetCallerIdentity", REGION[reg]);
	LIT(b, ",\"requestParameters\":null,\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	ev_tail(b, ac, 1, a, NULL, "sts", REGION[reg]);
}

static void ddb_get(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	const char *tb = PICK(TABLES);
	ev_head(b, ac, t, "dynamodb.amazonaws.com", "GetItem", REGION[reg]);
	LIT(b, ",\"requestParameters\":{\"tableName\":\"");
	str(b, tb);
	LIT(b, "\",\"key\":{\"pk\":\"");
	put_uuid(b);
	LIT(b, "\"},\"consistentRead\":false},\"responseElements\":null");
	ev_ids(b, 0, NULL, 1);
	LIT(b, ",\"resources\":[{\"accountId\":\"");
	str(b, acct_id[a]);
	LIT(b, "\",\"type\":\"AWS::DynamoDB::Table\",\"ARN\":\"arn:aws:dynamodb:");
	region_account(b, reg, a);
	LIT(b, ":table/");
	str(b, tb);
	LIT(b, "\"}]");
	ev_tail(b, ac, 0, a, NULL, "dynamodb", REGION[reg]);
}

static void lambda_invoke(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	const char *fn = PICK(FUNCS);
	ev_head(b, ac, t, "lambda.amazonaws.com", "Invoke", REGION[reg]);
	LIT(b, ",\"requestParameters\":{\"functionName\":\"arn:aws:lambda:");
	region_account(b, reg, a);
	LIT(b, ":function:");
	str(b, fn);
	LIT(b, "\",\"invocationType\":\"RequestResponse\"},\"responseElements\":null,"
	       "\"additionalEventData\":{\"functionVersion\":\"arn:aws:lambda:");
	region_account(b, reg, a);
	LIT(b, ":function:");
	str(b, fn);
	LIT(b, ":$LATEST\"}");
	ev_ids(b, 0, NULL, 0);
	LIT(b, ",\"resources\":[{\"accountId\":\"");
	str(b, acct_id[a]);
	LIT(b, "\",\"type\":\"AWS::Lambda::Function\",\"ARN\":\"arn:aws:lambda:");
	region_account(b, reg, a);
	LIT(b, ":function:");
	str(b, fn);
	LIT(b, "\"}]");
	ev_tail(b, ac, 0, a, NULL, "lambda", REGION[reg]);
}

static void logs_stream(buf *b, const actor *ac, int a, int reg, int64_t t)
{
	civil c = civil_from(t);
	ev_head(b, ac, t, "logs.amazonaws.com", "CreateLogStream", REGION[reg]);
	LIT(b, ",\"requestParameters\":{\"logGroupName\":\"/aws/lambda/");
	str(b, PICK(FUNCS));
	LIT(b, "\",\"logStreamName\":\"");
	num(b, (unsigned)c.y);
	chr(b, '/');
	num0(b, c.mo, 2);
	chr(b, '/');
	num0(b, c.d, 2);
	LIT(b, "/[$LATEST]");
	put_rand(b, 32, HEX, 4);
	LIT(b, "\"},\"responseElements\":null");
	ev_ids(b, 0, NULL, 0);
	ev_tail(b, ac, 1, a, NULL, "logs", REGION[reg]);
}

/* ---------- credential-issuing events ---------- */

enum { API_AR, API_SAML, API_OIDC };

typedef struct {
	int api, fail;
	actor caller;
	session callsess; /* copy: the pool may move while we write */
	const role *r;
	session ns;
	int dur; /* durationSeconds; 0 = not passed */
	int ntags, ntrans, srcid_req;
	uint8_t tk[3], tv[3];
	char reqid[37], shared[37];
	char token[1200];
	int toklen;
} issue;

static void put_tags_array(buf *b, const issue *is)
{
	LIT(b, ",\"tags\":[");
	for (int i = 0; i < is->ntags; i++) {
		if (i)
			chr(b, ',');
		LIT(b, "{\"key\":\"");
		str(b, TAG_K[is->tk[i]]);
		LIT(b, "\",\"value\":\"");
		str(b, TAG_V[is->tv[i]]);
		LIT(b, "\"}");
	}
	chr(b, ']');
}

static void put_transitive(buf *b, const issue *is)
{
	if (!is->ntrans)
		return;
	LIT(b, ",\"transitiveTagKeys\":[");
	for (int i = 0; i < is->ntrans; i++) {
		if (i)
			chr(b, ',');
		qstr(b, TAG_K[is->tk[i]]);
	}
	chr(b, ']');
}

/* One copy of the issuing event; recipient a, owner_copy for the role
 * account's copy of a cross-account call. */
static void write_issue(buf *b, const issue *is, int a, int region_i, int owner_copy)
{
	const role *r = is->r;
	const session *ns = &is->ns;
	static const char *api_name[] = {"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"};
	actor ac = is->caller;
	if (owner_copy) {
		ac.kind = ID_ACCOUNT;
		ac.acct = is->callsess.key[0] ? roles[is->callsess.role].acct : is->caller.u->acct;
	}
	ev_head(b, &ac, ns->start, "sts.amazonaws.com", api_name[is->api], REGION[region_i]);
	if (is->fail) {
		LIT(b, ",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"");
		if (ac.kind == ID_SESSION)
			put_sess_arn(b, &roles[is->callsess.role], is->callsess.name);
		else if (ac.kind == ID_USER)
			put_user_arn(b, ac.u);
		else
			LIT(b, "Caller");
		LIT(b, " is not authorized to perform: sts:AssumeRole on resource: ");
		put_role_arn(b, r);
		LIT(b, "\",\"requestParameters\":null,\"responseElements\":null");
		ev_ids(b, 0, is->reqid, 1);
		ev_tail(b, &ac, 1, a, NULL, "sts", REGION[region_i]);
		return;
	}
	LIT(b, ",\"requestParameters\":{");
	if (is->api == API_SAML) {
		LIT(b, "\"sAMLAssertionID\":\"_");
		put_rand(b, 32, HEX, 4);
		LIT(b, "\",\"roleSessionName\":\"");
		str(b, ns->name);
		LIT(b, "\",");
		if (is->srcid_req) {
			LIT(b, "\"sourceIdentity\":\"");
			str(b, users[ns->srcid - 1].name);
			LIT(b, "\",");
		}
		if (is->ntags) {
			LIT(b, "\"principalTags\":{");
			for (int i = 0; i < is->ntags; i++) {
				if (i)
					chr(b, ',');
				qstr(b, TAG_K[is->tk[i]]);
				chr(b, ':');
				qstr(b, TAG_V[is->tv[i]]);
			}
			chr(b, '}');
			put_transitive(b, is);
			chr(b, ',');
		}
		LIT(b, "\"durationSeconds\":");
		num(b, (uint64_t)is->dur);
		LIT(b, ",\"roleArn\":\"");
		put_role_arn(b, r);
		LIT(b, "\",\"principalArn\":\"arn:aws:iam::");
		str(b, acct_id[r->acct]);
		LIT(b, ":saml-provider/Okta\"}");
	} else {
		LIT(b, "\"roleArn\":\"");
		put_role_arn(b, r);
		LIT(b, "\",\"roleSessionName\":\"");
		str(b, ns->name);
		chr(b, '"');
		if (is->dur) {
			LIT(b, ",\"durationSeconds\":");
			num(b, (uint64_t)is->dur);
		}
		if (is->ntags)
			put_tags_array(b, is);
		put_transitive(b, is);
		if (is->srcid_req) {
			LIT(b, ",\"sourceIdentity\":\"");
			str(b, users[ns->srcid - 1].name);
			chr(b, '"');
		}
		chr(b, '}');
	}
	LIT(b, ",\"responseElements\":{");
	if (is->ntags && is->api == API_AR) {
		LIT(b, "\"packedPolicySize\":");
		num(b, (uint64_t)(is->ntags * 3 + is->ntrans));
		chr(b, ',');
	}
	LIT(b, "\"credentials\":{\"accessKeyId\":\"");
	str(b, ns->key);
	LIT(b, "\",\"expiration\":\"");
	put_exp(b, ns->end);
	LIT(b, "\",\"sessionToken\":\"");
	put(b, is->token, (size_t)is->toklen);
	LIT(b, "\"},\"assumedRoleUser\":{\"assumedRoleId\":\"");
	str(b, r->id);
	chr(b, ':');
	str(b, ns->name);
	LIT(b, "\",\"arn\":\"");
	put_sess_arn(b, r, ns->name);
	LIT(b, "\"}");
	if (ns->srcid) {
		LIT(b, ",\"sourceIdentity\":\"");
		str(b, users[ns->srcid - 1].name);
		chr(b, '"');
	}
	if (is->api == API_SAML) {
		LIT(b, ",\"subject\":\"");
		put_saml_subject(b, ns);
		LIT(b, "\",\"subjectType\":\"persistent\",\"issuer\":\"http://www.okta.com/exk1a2b3c4d5e6f7g8h9\","
		       "\"audience\":\"https://signin.aws.amazon.com/saml\",\"nameQualifier\":\"");
		str(b, saml_idp[r->acct]);
		chr(b, '"');
	} else if (is->api == API_OIDC) {
		LIT(b, ",\"subjectFromWebIdentityToken\":\"");
		put_oidc_sub(b, ns->repo);
		LIT(b, "\",\"provider\":\"");
		put_oidc_arn(b, r->acct);
		LIT(b, "\",\"audience\":\"sts.amazonaws.com\"");
	}
	chr(b, '}');
	ev_ids(b, 0, is->reqid, 1);
	LIT(b, ",\"resources\":[{\"accountId\":\"");
	str(b, acct_id[r->acct]);
	LIT(b, "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"");
	put_role_arn(b, r);
	LIT(b, "\"}");
	if (is->api == API_SAML) {
		LIT(b, ",{\"accountId\":\"");
		str(b, acct_id[r->acct]);
		LIT(b, "\",\"type\":\"AWS::IAM::SAMLProvider\",\"ARN\":\"arn:aws:iam::");
		str(b, acct_id[r->acct]);
		LIT(b, ":saml-provider/Okta\"}");
	}
	chr(b, ']');
	ev_tail(b, &ac, 1, a, is->shared[0] ? is->shared : NULL, "sts", REGION[region_i]);
}

static void make_token(issue *is)
{
	/* STS session tokens: a fixed-looking header, then ~600-900 base64 chars */
	static const char hdr[] = "IQoJb3JpZ2luX2VjE";
	int n = 600 + (int)rn(300);
	memcpy(is->token, hdr, sizeof hdr - 1);
	rand_chars(is->token + sizeof hdr - 1, n, B64, 6);
	is->toklen = (int)(sizeof hdr - 1) + n;
	is->token[is->toklen++] = '=';
}

static void session_name(session *ns, const issue *is)
{
	buf nb = {ns->name, 0, sizeof ns->name, 1};
	switch (ns->kind) {
	case S_EC2:
		LIT(&nb, "i-0");
		put_rand(&nb, 16, HEX, 4);
		break;
	case S_LAMBDA:
		str(&nb, FUNCS[0]);
		break;
	case S_OIDC:
		LIT(&nb, "GitHubActions");
		break;
	case S_SAML:
		put_saml_subject(&nb, ns);
		break;
	default:
		switch (rn(4)) {
		case 0:
			if (is->caller.kind == ID_USER) {
				str(&nb, is->caller.u->name);
				break;
			}
			/* fall through */
		case 1:
			LIT(&nb, "aws-go-sdk-");
			num(&nb, (uint64_t)ns->start * 1000000000ull + rn(1000000000));
			break;
		case 2:
			LIT(&nb, "botocore-session-");
			num(&nb, (uint64_t)ns->start);
			break;
		default:
			LIT(&nb, "terraform-");
			put_rand(&nb, 12, HEX, 4);
			break;
		}
	}
	nb.p[nb.n] = 0;
}

static int pick_role(int a, int kind, int not_role)
{
	int n = nrole_by_kind[a][kind], i;
	do /* a role may not trust itself: pick another */
		i = role_by_kind[a][kind][rn((uint32_t)n)];
	while (i == not_role && n > 1);
	return i;
}

static void gen_issue(buf *b, int a, int reg, int64_t t)
{
	issue is;
	memset(&is, 0, sizeof is);
	session *ns = &is.ns;
	ns->start = t;
	unsigned r = rn(100);
	const session *cs = NULL;
	int ra = a; /* account owning the role */
	if (r < 6) {
		is.api = API_AR;
		ns->kind = rn(3) ? S_EC2 : S_LAMBDA;
		is.caller.kind = ID_SERVICE;
		is.caller.svc = is.caller.ip = is.caller.ua =
			ns->kind == S_EC2 ? "ec2.amazonaws.com" : "lambda.amazonaws.com";
		ns->role = (uint16_t)pick_role(a, ns->kind == S_EC2 ? R_EC2 : R_LAMBDA, -1);
		ns->end = t + (ns->kind == S_EC2 ? 6 * 3600 + rn(1800) : 12 * 3600);
		is.dur = ns->kind == S_EC2 ? 0 : 43200;
	} else if (r < 10) {
		is.api = API_OIDC;
		ns->kind = S_OIDC;
		ns->repo = (uint8_t)rn(4);
		is.caller.kind = ID_OIDC;
		is.caller.acct = a;
		is.caller.s = ns;
		is.caller.ip = ips[rn(8)];
		is.caller.ua = "aws-sdk-nodejs/2.1001.0 linux/v16.13.0 configure-aws-credentials-for-github-actions promise";
		ns->role = (uint16_t)pick_role(a, R_OIDC, -1);
		is.dur = 3600;
		ns->end = t + 3600;
	} else if (r < 14) {
		is.api = API_SAML;
		ns->kind = S_SAML;
		ns->who = (uint16_t)(1 + rn(NUSER_MAIN));
		is.caller.kind = ID_SAML;
		is.caller.acct = a;
		is.caller.s = ns;
		is.caller.ip = ips[users[ns->who - 1].ip];
		is.caller.ua = UA[1];
		ns->role = (uint16_t)pick_role(a, R_SAML, -1);
		is.dur = rn(2) ? 3600 : 28800;
		ns->end = t + is.dur;
		ns->mfa = 1;
		if (pct(40)) {
			is.ntags = 1 + (int)rn(3);
			is.ntrans = pct(50) ? (int)rn((uint32_t)is.ntags + 1) : 0;
		}
		if (pct(30)) { /* the IdP passes a SourceIdentity */
			ns->srcid = ns->who;
			is.srcid_req = 1;
		}
	} else {
		is.api = API_AR;
		ns->kind = S_ROLE;
		if (pct(75))
			cs = pool_pick(a, t, opt_depth);
		if (cs) {
			is.callsess = *cs;
			is.caller.kind = ID_SESSION;
			is.caller.s = &is.callsess;
			is.caller.ip = ips[cs->ip];
			is.caller.ua = UA[cs->ua];
			ns->depth = cs->depth;
			ns->srcid = cs->srcid;
			ns->ip = cs->ip;
			ns->ua = cs->ua;
			ns->mfa = cs->mfa;
			is.dur = pct(50) ? 900 : 3600; /* role chaining caps sessions at 1 h */
		} else {
			if (!nuser_by_acct[a]) {
				gen_issue(b, a, reg, t);
				return;
			}
			const user *u = &users[user_by_acct[a][rn((uint32_t)nuser_by_acct[a])]];
			is.caller.kind = ID_USER;
			is.caller.u = u;
			is.caller.ip = ips[u->ip];
			is.caller.ua = UA[u->ua];
			ns->ip = u->ip;
			ns->ua = u->ua;
			ns->mfa = (uint8_t)pct(30);
			static const int durs[] = {900, 3600, 3600, 3600, 7200, 14400, 43200, 0};
			is.dur = PICK(durs);
			if (pct(10)) { /* the root sets a SourceIdentity; it follows down the chain */
				ns->srcid = (uint16_t)(1 + (u - users));
				is.srcid_req = 1;
			}
		}
		if (pct(25)) /* cross-account */
			ra = (a + 1 + (int)rn(NACCT - 1)) % NACCT;
		ns->role = (uint16_t)pick_role(ra, R_GENERAL, cs ? cs->role : -1);
		ns->end = t + (is.dur ? is.dur : 3600);
		if (pct(40)) {
			is.ntags = 1 + (int)rn(3);
			is.ntrans = pct(30) ? (int)rn((uint32_t)is.ntags + 1) : 0;
		}
		is.fail = pct(2);
	}
	if (ns->kind != S_ROLE) {
		ns->ip = (uint16_t)rn(NIP);
		ns->ua = (uint16_t)rn(NUA);
	}
	ns->depth++;
	unsigned k0 = rn(6);
	for (int i = 0; i < is.ntags; i++) {
		/* distinct keys: consecutive from a random start */
		is.tk[i] = (uint8_t)((k0 + (unsigned)i) % 6);
		is.tv[i] = (uint8_t)(is.tk[i] * 2 + rn(2));
	}
	session_name(ns, &is);
	make_id(ns->key, "ASIA", roles[ns->role].acct, 16);
	make_token(&is);
	uuid(is.reqid);
	if (ra != a)
		uuid(is.shared);
	if (is.caller.kind == ID_SAML || is.caller.kind == ID_OIDC)
		is.caller.s = ns;
	is.r = &roles[ns->role];

	write_issue(b, &is, a, reg, 0);
	n_events++;
	if (ra != a) {
		pending *p = &pend[ra];
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 256;
			p->off = realloc(p->off, (p->cap + 1) * sizeof *p->off);
			if (!p->off)
				die("out of memory", NULL);
		}
		p->off[p->n++] = p->b.n;
		write_issue(&p->b, &is, ra, reg, 1);
		p->off[p->n] = p->b.n;
	}
	if (is.fail)
		return;
	pool_add(roles[ns->role].acct, ns);
	note_key(ns);
}

/* ---------- ordinary calls ---------- */

static void gen_regular(buf *b, int a, int reg, int64_t t)
{
	actor ac;
	memset(&ac, 0, sizeof ac);
	ac.acct = a;
	unsigned r = rn(100);
	const session *s = NULL;
	if (r < 62)
		s = pool_pick(a, t, 255);
	if (s) {
		ac.kind = ID_SESSION;
		ac.s = s;
		ac.ip = ips[s->ip];
		ac.ua = UA[s->ua];
		if (s->kind == S_EC2 || s->kind == S_LAMBDA)
			ac.ip = ips[NIP - 1 - (s->ip % 8)];
	} else if (r < 72 || !nuser_by_acct[a]) {
		/* services calling KMS on their own */
		static const char *svcs[] = {"cloudtrail.amazonaws.com", "s3.amazonaws.com",
					     "secretsmanager.amazonaws.com"};
		ac.kind = ID_SERVICE;
		ac.svc = ac.ip = ac.ua = PICK(svcs);
		kms_call(b, &ac, a, reg, t);
		return;
	} else {
		const user *u = &users[user_by_acct[a][rn((uint32_t)nuser_by_acct[a])]];
		ac.u = u;
		ac.ip = ips[u->ip];
		if (r < 78) {
			ac.kind = ID_CONSOLE;
			ac.ua = UA_CONSOLE;
		} else {
			ac.kind = ID_USER;
			ac.ua = UA[u->ua];
		}
	}
	unsigned w = rn(1000);
	if (w < 260)
		s3_object(b, &ac, a, reg, t, 1);
	else if (w < 320)
		s3_object(b, &ac, a, reg, t, 0);
	else if (w < 480)
		ec2_describe(b, &ac, a, reg, t);
	else if (w < 610) {
		if (w < 560 && ac.kind != ID_CONSOLE) { /* KMS on the principal's behalf */
			ac.invby = "s3.amazonaws.com";
			ac.ip = ac.ua = "s3.amazonaws.com";
		}
		kms_call(b, &ac, a, reg, t);
	} else if (w < 700)
		ssm_get(b, &ac, a, reg, t);
	else if (w < 750)
		secret_get(b, &ac, a, reg, t);
	else if (w < 800 && reg == 0) /* IAM is global: logged in us-east-1 */
		iam_get(b, &ac, a, t);
	else if (w < 850)
		sts_whoami(b, &ac, a, reg, t);
	else if (w < 920)
		ddb_get(b, &ac, a, reg, t);
	else if (w < 960)
		lambda_invoke(b, &ac, a, reg, t);
	else
		logs_stream(b, &ac, a, reg, t);
}

/* ---------- world setup ---------- */

static void setup(void)
{
	for (int a = 0; a < NACCT; a++) {
		acct_num[a] = 100000000000ull + rnd() % 900000000000ull;
		buf nb = {acct_id[a], 0, sizeof acct_id[a], 1};
		num(&nb, acct_num[a]);
		acct_id[a][12] = 0;
		rand_chars(saml_idp[a], 27, B64, 6);
		saml_idp[a][27] = '=';
		saml_idp[a][28] = 0;
		for (int k = 0; k < 3; k++) {
			uuid(kms_keys[a][k]);
			rand_chars(secret_sfx[a][k], 6, ALNUM + 10, 5);
			secret_sfx[a][k][6] = 0;
		}
	}
	for (size_t i = 0; i < NROLE; i++) {
		role *r = &roles[i];
		r->acct = (int)(i / NROLE_T);
		r->name = ROLE_T[i % NROLE_T].name;
		r->path = ROLE_T[i % NROLE_T].path;
		r->kind = ROLE_T[i % NROLE_T].kind;
		make_id(r->id, "AROA", r->acct, 17);
		role_by_kind[r->acct][r->kind][nrole_by_kind[r->acct][r->kind]++] = (int)i;
	}
	for (int i = 0; i < NIP; i++) {
		static const unsigned first[] = {3, 13, 18, 34, 52, 54, 63, 81, 86, 92, 101, 145, 176, 185, 198, 203};
		buf nb = {ips[i], 0, sizeof ips[i], 1};
		num(&nb, PICK(first));
		for (int k = 0; k < 3; k++) {
			chr(&nb, '.');
			num(&nb, rn(254) + 1);
		}
		ips[i][nb.n] = 0;
	}
	for (int i = 0; i < NUSER; i++) {
		user *u = &users[i];
		buf nb = {u->name, 0, sizeof u->name, 1};
		if (i < NUSER_MAIN) {
			u->acct = 0;
			str(&nb, FIRST[i]);
			chr(&nb, '.');
			str(&nb, PICK(LAST));
		} else {
			u->acct = 1 + (i - NUSER_MAIN) / NUSER_OTHER;
			str(&nb, SVC_USERS[(i - NUSER_MAIN) % NUSER_OTHER + (u->acct == 2)]);
		}
		u->name[nb.n] = 0;
		make_id(u->aida, "AIDA", u->acct, 17);
		make_id(u->akia, "AKIA", u->acct, 16);
		make_id(u->console, "ASIA", u->acct, 16);
		u->ip = (uint16_t)rn(NIP - 8);
		u->ua = (uint16_t)rn(NUA - 1);
		user_by_acct[u->acct][nuser_by_acct[u->acct]++] = i;
	}
}

/* ---------- files ---------- */

static void mkdirs(char *path)
{
	struct wdn_err err;

	if (wdn_fs_mkdirs(path, 0755, &err))
		die("cannot create directory", path);
}

typedef struct {
	size_t off, len;
} rec;

static void write_file(const char *outdir, int a, int reg, int64_t delivered, const buf *fb, rec *recs,
		       size_t nrec)
{
	civil c = civil_from(delivered);
	buf path = {0};
	str(&path, outdir);
	LIT(&path, "/AWSLogs/");
	str(&path, acct_id[a]);
	LIT(&path, "/CloudTrail/");
	str(&path, REGION[reg]);
	chr(&path, '/');
	num0(&path, (unsigned)c.y, 4);
	chr(&path, '/');
	num0(&path, c.mo, 2);
	chr(&path, '/');
	num0(&path, c.d, 2);
	chr(&path, 0);
	mkdirs(path.p);
	path.p[path.n - 1] = '/';
	str(&path, acct_id[a]);
	LIT(&path, "_CloudTrail_");
	str(&path, REGION[reg]);
	chr(&path, '_');
	num0(&path, (unsigned)c.y, 4);
	num0(&path, c.mo, 2);
	num0(&path, c.d, 2);
	chr(&path, 'T');
	num0(&path, c.h, 2);
	num0(&path, c.mi, 2);
	LIT(&path, "Z_");
	put_alnum(&path, 16);
	LIT(&path, ".json.gz");
	chr(&path, 0);

	gzFile gz = gzopen(path.p, "wb6");
	if (!gz)
		die("cannot create", path.p);
	gzbuffer(gz, 1 << 18);
	int ok = gzwrite(gz, "{\"Records\":[", 12) == 12;
	for (size_t i = 0; i < nrec && ok; i++) {
		if (i)
			ok = gzwrite(gz, ",", 1) == 1;
		ok = ok && gzwrite(gz, fb->p + recs[i].off, (unsigned)recs[i].len) == (int)recs[i].len;
	}
	ok = ok && gzwrite(gz, "]}\n", 3) == 3;
	if (gzclose(gz) != Z_OK || !ok)
		die("cannot write", path.p);
	free(path.p);
}

static int parse_date(const char *s, int64_t *out)
{
	unsigned v[3] = {0, 0, 0};
	int lens[3] = {4, 2, 2};
	for (int f = 0; f < 3; f++) {
		for (int i = 0; i < lens[f]; i++, s++) {
			if (*s < '0' || *s > '9')
				return -1;
			v[f] = v[f] * 10 + (unsigned)(*s - '0');
		}
		if (*s != (f < 2 ? '-' : 0))
			return -1;
		s++;
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return -1;
	*out = days_from_civil(v[0], v[1], v[2]) * 86400;
	civil c = civil_from(*out); /* rejects Feb 30 and the like */
	return c.mo == v[1] && c.d == v[2] ? 0 : -1;
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		die("bad number for", what);
	return v;
}

static void usage(int rc)
{
	fputs("usage: gentrail [-s SEED] [-n EVENTS_PER_FILE] [-f FILES] [-i ISSUE_PERCENT]\n"
	      "                [-c CHAIN_DEPTH] [--start YYYY-MM-DD] [--keys FILE] [--deepest] [-v] -o DIR\n"
	      "Writes gzip CloudTrail log files under DIR/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/.\n"
	      "  -s SEED        PRNG seed (default 1); same seed and options, same output\n"
	      "  -n N           events per file (default 500; cross-account copies come on top)\n"
	      "  -f N           number of files (default 12), round-robin over 3 accounts x 2 regions\n"
	      "  -i PERCENT     share of credential-issuing events (default 3, may be fractional)\n"
	      "  -c DEPTH       longest role chain (default 4)\n"
	      "  --start DATE   first day of the trail (default 2021-07-01)\n"
	      "  --keys FILE    write \"KEYID DEPTH\" for every issued key\n"
	      "  --deepest      print one key of the deepest chain on stdout at the end\n"
	      "  -v             summary on stderr\n",
	      rc ? stderr : stdout);
	exit(rc);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;
	unsigned long per_file = 500, files = 12;
	int64_t start = days_from_civil(2021, 7, 1) * 86400;
	const char *outdir = NULL, *keys_path = NULL;
	int want_deepest = 0, verbose = 0;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (!strcmp(o, "-h") || !strcmp(o, "--help"))
			usage(0);
		else if (!strcmp(o, "--deepest"))
			want_deepest = 1, takes = 0;
		else if (!strcmp(o, "-v"))
			verbose = 1, takes = 0;
		else if (!v)
			usage(2);
		else if (!strcmp(o, "-s"))
			seed = parse_num(v, "-s", (unsigned long)-1);
		else if (!strcmp(o, "-n"))
			per_file = parse_num(v, "-n", 10000000);
		else if (!strcmp(o, "-f"))
			files = parse_num(v, "-f", 100000000);
		else if (!strcmp(o, "-c"))
			opt_depth = (int)parse_num(v, "-c", 64);
		else if (!strcmp(o, "-i")) {
			char *end;
			double p = strtod(v, &end);
			if (end == v || *end || !(p >= 0 && p <= 100))
				die("bad percentage for", "-i");
			opt_issue_ppm = (uint32_t)(p * 10000 + 0.5);
		} else if (!strcmp(o, "--start")) {
			if (parse_date(v, &start))
				die("bad date (want YYYY-MM-DD)", v);
		} else if (!strcmp(o, "--keys"))
			keys_path = v;
		else if (!strcmp(o, "-o"))
			outdir = v;
		else
			usage(2);
		i += takes;
	}
	if (!outdir || opt_depth < 1)
		usage(2);
	if (keys_path && !(keys_out = fopen(keys_path, "w")))
		die("cannot create", keys_path);

	uint64_t sx = seed;
	for (int i = 0; i < 4; i++)
		rs[i] = splitmix(&sx);
	setup();
	for (int i = 0; i < NUSER; i++)
		users[i].console_start = start - 60 - rn(3600);

	buf fb = {0};
	rec *recs = NULL;
	size_t reccap = 0;
	uint64_t raw = 0;
	for (unsigned long k = 0; k < files; k++) {
		int s = (int)(k % NSTREAM), a = s / NREG, reg = s % NREG;
		int64_t w = (int64_t)(k / NSTREAM);
		int64_t t0 = start + w * WINDOW + s * SPAN;
		pending *p = &pend[a];
		size_t nrec = p->n + per_file;
		if (nrec > reccap) {
			reccap = nrec;
			recs = realloc(recs, reccap * sizeof *recs);
			if (!recs)
				die("out of memory", NULL);
		}
		fb.n = 0;
		/* late copies from other accounts' cross-account calls come first */
		put(&fb, p->b.p, p->b.n);
		for (size_t i = 0; i < p->n; i++)
			recs[i] = (rec){p->off[i], p->off[i + 1] - p->off[i]};
		n_events += p->n;
		size_t r = p->n;
		p->n = 0;
		p->b.n = 0;
		for (unsigned long i = 0; i < per_file; i++, r++) {
			int64_t t = t0 + (int64_t)(i * SPAN / per_file);
			size_t off = fb.n;
			if (rn(1000000) < opt_issue_ppm)
				gen_issue(&fb, a, reg, t);
			else {
				gen_regular(&fb, a, reg, t);
				n_events++;
			}
			recs[r] = (rec){off, fb.n - off};
		}
		/* CloudTrail files are only roughly in time order */
		for (size_t i = 0; i + 1 < nrec; i++) {
			if (rn(8))
				continue;
			size_t j = i + 1 + rn((uint32_t)(nrec - i - 1 < 8 ? nrec - i - 1 : 8));
			rec tmp = recs[i];
			recs[i] = recs[j];
			recs[j] = tmp;
		}
		raw += fb.n + nrec + 15;
		write_file(outdir, a, reg, start + (w + 1) * WINDOW, &fb, recs, nrec);
	}
	if (keys_out) {
		if (fwrite(keysb.p, 1, keysb.n, keys_out) != keysb.n || fclose(keys_out))
			die("cannot write", keys_path);
	}
	if (want_deepest && deepest_depth) {
		fputs(deepest, stdout);
		fputc('\n', stdout);
	}
	if (verbose)
		fprintf(stderr, "gentrail: %lu files, %llu events, %llu bytes uncompressed, %llu keys issued, deepest chain %d\n",
			files, (unsigned long long)n_events, (unsigned long long)raw,
			(unsigned long long)n_issued, deepest_depth);
	free(fb.p);
	free(recs);
	return fflush(stdout) ? 1 : 0;
}
