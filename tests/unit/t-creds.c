/*
 * The credential chain over temporary shared files: which source wins, what
 * each broken setup says, and that no secret reaches a message. The sources
 * that talk to a network (STS, SSO portal, container endpoint, IMDS) are run
 * against a local stub by tests/cmd/t0403-credentials.sh; here only what
 * fails before a request is made, and the STS answer parser on real bodies.
 */
#include "tap.h"
#include "wdn.h"
#include "aws.h"
#include "creds.h"
#include "datetime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[256], path_config[300], path_creds[300], home[300];

static const char *const vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_METADATA_SERVICE_TIMEOUT", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO", "AWS_REGION", "AWS_DEFAULT_REGION",
};

static void clean_env(void)
{
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void files(const char *config, const char *creds)
{
	put(path_config, config);
	put(path_creds, creds);
}

/* Resolve for a client of profile (NULL: AWS_PROFILE or default). */
static int resolve(const char *profile, struct wdn_creds *c, struct wdn_err *err)
{
	struct wdn_aws *a;
	int rc;

	memset(err, 0, sizeof(*err));
	if (wdn_aws_new(profile, NULL, NULL, &a, err))
		return -100;
	rc = wdn_creds_resolve(a, c, err);
	wdn_aws_free(a);
	return rc;
}

static int has(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

static void test_env(void)
{
	struct wdn_creds c;
	struct wdn_err err;

	clean_env();
	files("[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s-config\n",
	      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s-file\n");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s-env", 1);
	setenv("AWS_SESSION_TOKEN", "tok-env", 1);
	is_int(resolve(NULL, &c, &err), 0, "environment: resolves");
	is_str(c.key_id, "AKIDENV", "the environment wins over both files");
	is_str(c.token, "tok-env", "with its session token");
	is_str(c.source, "environment", "source says so");
	ok(c.expires == WDN_TIME_NONE, "no expiry without AWS_CREDENTIAL_EXPIRATION");
	wdn_creds_release(&c);

	setenv("AWS_CREDENTIAL_EXPIRATION", "2031-01-02T03:04:05Z", 1);
	resolve(NULL, &c, &err);
	is_int(c.expires, 1925089445, "AWS_CREDENTIAL_EXPIRATION is the expiry");
	wdn_creds_release(&c);
	unsetenv("AWS_CREDENTIAL_EXPIRATION");

	/* AWS_PROFILE is not "named explicitly": the environment still wins */
	setenv("AWS_PROFILE", "default", 1);
	resolve(NULL, &c, &err);
	is_str(c.key_id, "AKIDENV", "AWS_PROFILE does not turn the environment off");
	wdn_creds_release(&c);
	unsetenv("AWS_PROFILE");

	/* as `aws --profile` does, a named profile does */
	files("[profile p]\naws_access_key_id = AKIDP\naws_secret_access_key = s-p\n", "");
	resolve("p", &c, &err);
	is_str(c.key_id, "AKIDP", "a profile named by option is used over the environment");
	wdn_creds_release(&c);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	is_int(resolve(NULL, &c, &err), WDN_ECRED, "a key ID without a secret fails");
	ok(has(err.msg, "AWS_SECRET_ACCESS_KEY is not"), "naming the missing variable: %s", err.msg);
	ok(!has(err.msg, "AKIDENV") && !has(err.msg, "tok-env"), "without the key or token");
	ok(c.key_id == NULL, "and leaves nothing behind");
	clean_env();
}

static void test_static(void)
{
	struct wdn_creds c;
	struct wdn_err err;

	clean_env();
	files("[default]\nregion = eu-west-1\n", "[default]\naws_access_key_id = AKIDFILE\n"
	      "aws_secret_access_key = s-file\naws_session_token = t-file\n");
	is_int(resolve(NULL, &c, &err), 0, "credentials file: resolves");
	is_str(c.key_id, "AKIDFILE", "keys from the credentials file's [default]");
	is_str(c.token, "t-file", "and its session token");
	is_str(c.source, "profile default", "source names the profile");
	wdn_creds_release(&c);

	files("[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = s-conf\n", "");
	resolve(NULL, &c, &err);
	is_str(c.key_id, "AKIDCONF", "keys from the config file's [default]");
	ok(c.token == NULL, "no token when none is set");
	wdn_creds_release(&c);

	files("[profile dev]\naws_access_key_id = AKIDCONFDEV\naws_secret_access_key = s\n"
	      "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s\n",
	      "[dev]\naws_access_key_id = AKIDFILEDEV\naws_secret_access_key = s\n");
	setenv("AWS_PROFILE", "dev", 1);
	resolve(NULL, &c, &err);
	is_str(c.key_id, "AKIDFILEDEV", "AWS_PROFILE selects; the credentials file before the config");
	wdn_creds_release(&c);
	files("[profile dev]\naws_access_key_id = AKIDCONFDEV\naws_secret_access_key = s\n", "");
	resolve(NULL, &c, &err);
	is_str(c.key_id, "AKIDCONFDEV", "[profile dev] in the config file");
	wdn_creds_release(&c);
	unsetenv("AWS_PROFILE");

	files("", "[default]\naws_access_key_id = AKIDHALF\n");
	is_int(resolve(NULL, &c, &err), WDN_ECRED, "a key ID without a secret in a file fails");
	ok(has(err.msg, "no aws_secret_access_key"), "saying what is missing: %s", err.msg);

	files("[profile a]\nregion = us-east-1\n", "");
	is_int(resolve("nosuch", &c, &err), WDN_ECRED, "a profile that does not exist fails");
	ok(has(err.msg, "profile 'nosuch' is in neither"), "saying so: %s", err.msg);
}

static void test_process(void)
{
	struct wdn_creds c;
	struct wdn_err err;
	char script[400], conf[4096], count[400];
	struct wdn_aws *a;
	const struct wdn_creds *cp;
	FILE *f;
	int n = 0;

	clean_env();
	snprintf(script, sizeof(script), "%s/proc.sh", dir);
	snprintf(count, sizeof(count), "%s/count", dir);
	put(script, "#!/bin/sh\n"
	    "echo x >>\"$(dirname \"$0\")/count\"\n"
	    "case $1 in\n"
	    "fail) exit 3 ;;\n"
	    "nover) echo '{\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"s-proc\"}' ;;\n"
	    "soon) printf '{\"Version\":1,\"AccessKeyId\":\"ASIAPROCSOON\",\"SecretAccessKey\":\"s-soon\","
	    "\"SessionToken\":\"t-soon\",\"Expiration\":\"%s\"}' \"$(date -u -d @$(($(date +%s) + 120)) +%Y-%m-%dT%H:%M:%SZ)\" ;;\n"
	    "*) echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s-proc\",'\n"
	    "   echo ' \"SessionToken\": \"t-proc\", \"Expiration\": \"2031-01-02T03:04:05Z\"}' ;;\n"
	    "esac\n");
	chmod(script, 0755);
	snprintf(conf, sizeof(conf), "[default]\ncredential_process = %s\n"
		 "[profile fail]\ncredential_process = %s fail\n"
		 "[profile nover]\ncredential_process = %s nover\n"
		 "[profile soon]\ncredential_process = %s soon\n"
		 "[profile both]\ncredential_process = %s\n"
		 "aws_access_key_id = AKIDCONFBOTH\naws_secret_access_key = s\n",
		 script, script, script, script, script);
	files(conf, "");
	is_int(resolve(NULL, &c, &err), 0, "credential_process: resolves");
	is_str(c.key_id, "ASIAPROC", "the process's key");
	is_str(c.token, "t-proc", "its session token");
	is_int(c.expires, 1925089445, "its Expiration parsed");
	is_str(c.source, "credential_process", "source says so");
	wdn_creds_release(&c);

	resolve("both", &c, &err);
	is_str(c.key_id, "ASIAPROC", "credential_process comes before the config file's keys");
	wdn_creds_release(&c);
	snprintf(conf, sizeof(conf), "[default]\ncredential_process = %s\n", script);
	files(conf, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n");
	resolve(NULL, &c, &err);
	is_str(c.key_id, "AKIDFILE", "and after the credentials file's keys");
	wdn_creds_release(&c);

	snprintf(conf, sizeof(conf), "[profile fail]\ncredential_process = %s fail\n"
		 "[profile nover]\ncredential_process = %s nover\n"
		 "[profile soon]\ncredential_process = %s soon\n", script, script, script);
	files(conf, "");
	is_int(resolve("fail", &c, &err), WDN_ECRED, "a failing credential_process fails the chain");
	ok(has(err.msg, "failed (status 3)"), "with its exit status: %s", err.msg);
	is_int(resolve("nover", &c, &err), WDN_ECRED, "output without Version 1 is refused");
	ok(has(err.msg, "\"Version\": 1") && !has(err.msg, "s-proc"), "without the secret: %s", err.msg);

	/* refreshed five minutes before expiry: a 2-minute credential is fetched on each use */
	unlink(count);
	if (!wdn_aws_new("soon", NULL, NULL, &a, &err)) {
		wdn_aws_creds(a, &cp, &err);
		is_str(cp->key_id, "ASIAPROCSOON", "wdn_aws_creds: the process's credentials");
		ok(cp->expires > wdn_time_now() && cp->expires <= wdn_time_now() + 120, "expiring in 2 min");
		wdn_aws_creds(a, &cp, &err);
		wdn_aws_free(a);
	}
	if ((f = fopen(count, "r"))) {
		char line[16];

		while (fgets(line, sizeof(line), f))
			n++;
		fclose(f);
	}
	is_int(n, 2, "credentials expiring within 5 minutes are fetched again");
	unlink(count);
	snprintf(conf, sizeof(conf), "[default]\ncredential_process = %s\n", script);
	files(conf, "");
	n = 0;
	if (!wdn_aws_new(NULL, NULL, NULL, &a, &err)) {
		wdn_aws_creds(a, &cp, &err);
		wdn_aws_creds(a, &cp, &err);
		wdn_aws_free(a);
	}
	if ((f = fopen(count, "r"))) {
		char line[16];

		while (fgets(line, sizeof(line), f))
			n++;
		fclose(f);
	}
	is_int(n, 1, "credentials good for years are kept");
}

static void test_nothing(void)
{
	struct wdn_creds c;
	struct wdn_err err;
	struct timespec t0, t1;
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int l = -1, filler = -1;
	char url[64];
	double secs;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	clean_env();
	files("[default]\nregion = eu-west-1\n", "");
	is_int(resolve(NULL, &c, &err), WDN_ECRED, "no credentials anywhere: WDN_ECRED");
	ok(has(err.msg, "no AWS credentials: tried the environment"), "one message: %s", err.msg);
	ok(has(err.msg, "profile 'default'") && has(err.msg, "credential_process"), "naming the profile's sources");
	ok(has(err.msg, "the container endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "the container endpoint");
	ok(has(err.msg, "EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)"), "and IMDS, disabled");
	ok(has(err.msg, "~/.aws/config") || has(err.msg, path_config), "and where it looked");

	/* IMDS enabled but nothing listening: refused at once */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/", 1);
	resolve(NULL, &c, &err);
	ok(has(err.msg, "EC2 instance metadata (http://127.0.0.1:9: Connection refused)"),
	   "IMDS not listening: %s", err.msg);

	/* an address that never answers (a listener whose queue is full drops
	 * SYNs, as a network without IMDS does): given up within about a second */
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 0) || getsockname(l, (struct sockaddr *)&sa, &sl) ||
	    (filler = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(filler, (struct sockaddr *)&sa, sizeof(sa))) {
		skip("no loopback listener for the timeout check");
		skip("no loopback listener for the timeout check");
	} else {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		resolve(NULL, &c, &err);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		ok(secs > 0.9 && secs < 1.8, "an IMDS that never answers costs ~1 s (%.2f s)", secs);
		ok(has(err.msg, "no answer within 1000 ms"), "and is named: %s", err.msg);
	}
	if (filler >= 0)
		close(filler);
	if (l >= 0)
		close(l);
	clean_env();

	/* a named profile: the environment is not tried */
	files("[profile empty]\nregion = eu-west-1\n", "");
	resolve("empty", &c, &err);
	ok(has(err.msg, "the environment (not used with a named profile)"), "%s", err.msg);
}

static void test_roles(void)
{
	struct wdn_creds c;
	struct wdn_err err;

	clean_env();
	files("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\n", "");
	is_int(resolve("r", &c, &err), WDN_ECRED, "role_arn alone fails");
	ok(has(err.msg, "neither source_profile nor credential_source"), "%s", err.msg);

	files("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = b\n"
	      "credential_source = Environment\n", "");
	resolve("r", &c, &err);
	ok(has(err.msg, "both source_profile and credential_source"), "%s", err.msg);

	files("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = gone\n", "");
	resolve("r", &c, &err);
	ok(has(err.msg, "source_profile 'gone' is in neither"), "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
	      "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n", "");
	is_int(resolve("a", &c, &err), WDN_ECRED, "a source_profile loop fails");
	ok(has(err.msg, "source_profile 'a' makes a loop"), "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "its own source_profile but has no keys"), "%s", err.msg);

	files("[profile b]\nregion = us-east-1\n"
	      "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "source_profile 'b' has no credentials"), "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\nmfa_serial = arn:aws:iam::1:mfa/me\n"
	      "[profile b]\naws_access_key_id = AKIDB\naws_secret_access_key = s-b\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "needs an MFA code"), "%s", err.msg);
	ok(!has(err.msg, "s-b"), "no secret in it");

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\ncredential_source = Laptop\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "credential_source 'Laptop' is not"), "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\ncredential_source = Environment\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "credential_source Environment gives no credentials"), "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\ncredential_source = Ec2InstanceMetadata\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "credential_source Ec2InstanceMetadata gives no credentials (AWS_EC2_METADATA_DISABLED=true)"),
	   "%s", err.msg);

	files("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\nduration_seconds = 1h\n"
	      "[profile b]\naws_access_key_id = AKIDB\naws_secret_access_key = s-b\n", "");
	resolve("a", &c, &err);
	ok(has(err.msg, "duration_seconds '1h'"), "%s", err.msg);

	/* web identity */
	files("[profile w]\nrole_arn = arn:aws:iam::1:role/W\nweb_identity_token_file = /nonexistent/token\n", "");
	is_int(resolve("w", &c, &err), WDN_ECRED, "web identity: a missing token file fails");
	ok(has(err.msg, "'/nonexistent/token' does not exist"), "%s", err.msg);
	files("", "");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/env-token", 1);
	resolve(NULL, &c, &err);
	ok(has(err.msg, "but no role: set AWS_ROLE_ARN"), "the environment's token file needs a role: %s", err.msg);
	clean_env();

	/* the container endpoint: plain http only to the agents and loopback */
	files("", "");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example.com/creds", 1);
	is_int(resolve(NULL, &c, &err), WDN_ECRED, "container: plain http to another host is refused");
	ok(has(err.msg, "plain http only to loopback"), "%s", err.msg);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds", 1);
	is_int(resolve(NULL, &c, &err), WDN_ENET, "container: an endpoint that is not there stops the chain");
	is_str(err.msg, "container credentials at http://127.0.0.1:9/creds: Connection refused", "saying so");
	/* the relative URI is the task's own: it never reaches a message */
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/0f2c-task-capability", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "bad\r\nInjected: 1", 1);
	resolve(NULL, &c, &err);
	is_str(err.msg, "container credentials at http://169.254.170.2 (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI): "
	       "the container authorization token holds a line break",
	       "the relative URI wins, is not shown, and a token with a line break is refused");
	clean_env();
}

static void test_sso(void)
{
	struct wdn_creds c;
	struct wdn_err err;
	char p[600];

	clean_env();
	files("[profile s]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev\n", "");
	resolve("s", &c, &err);
	ok(has(err.msg, "no [sso-session my-sso]"), "SSO: a missing sso-session section: %s", err.msg);

	files("[profile s]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
	      "[sso-session my-sso]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n", "");
	resolve("s", &c, &err);
	ok(has(err.msg, "lacks sso_region"), "a missing sso_region: %s", err.msg);

	files("[profile s]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev\n"
	      "[sso-session my-sso]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n"
	      "sso_region = us-east-1\n", "");
	is_int(resolve("s", &c, &err), WDN_ECRED, "no cached token: fails");
	ok(has(err.msg, "no SSO token cached") && has(err.msg, "aws sso login --profile s"), "%s", err.msg);
	ok(has(err.msg, "0ad374308c5a4e22f723adf10145eafad7c4031c.json"), "the cache is named by the session's SHA-1");

	snprintf(p, sizeof(p), "%s/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json", home);
	put(p, "{\"startUrl\": \"https://my-sso-portal.awsapps.com/start\", \"region\": \"us-east-1\","
	    " \"accessToken\": \"sso-secret-token\", \"expiresAt\": \"2020-01-01T00:00:00Z\"}");
	is_int(resolve("s", &c, &err), WDN_ECRED, "an expired token: fails");
	ok(has(err.msg, "the SSO session 'my-sso' expired at 2020-01-01T00:00:00Z: run 'aws sso login --profile s'"),
	   "telling to log in again: %s", err.msg);
	ok(!has(err.msg, "sso-secret-token"), "without the token");

	/* legacy: the start URL in the profile, the cache named by its SHA-1; older CLIs' "UTC" */
	files("[profile old]\nsso_start_url = https://my-sso-portal.awsapps.com/start\nsso_region = us-east-1\n"
	      "sso_account_id = 111122223333\nsso_role_name = Dev\n", "");
	snprintf(p, sizeof(p), "%s/.aws/sso/cache/c7aaaf71fcc8777ae2475525ed049d39fe16c484.json", home);
	put(p, "{\"accessToken\": \"t\", \"expiresAt\": \"2019-11-14T04:05:45UTC\"}");
	resolve("old", &c, &err);
	ok(has(err.msg, "'https://my-sso-portal.awsapps.com/start' expired at 2019-11-14T04:05:45Z"),
	   "legacy profile, cache by start URL: %s", err.msg);

	/* the hash over a name that needs a second padding block */
	files("[profile s]\nsso_session = ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss\n"
	      "sso_account_id = 1\nsso_role_name = Dev\n"
	      "[sso-session ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss]\n"
	      "sso_start_url = https://x\nsso_region = us-east-1\n", "");
	resolve("s", &c, &err);
	ok(has(err.msg, "907d7d02b90f3a8471ebd6ee0c23f3246cee0c82.json"), "SHA-1 of 60 bytes: %s", err.msg);
}

static void test_sts_xml(void)
{
	const char *td = getenv("WDN_TESTDATA");
	char path[600];
	struct wdn_creds c = { 0 };
	struct wdn_err err = { 0 };
	struct wdn_buf b = WDN_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	static const char role[] =
		"<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
		"  <AssumeRoleResult>\n    <SourceIdentity>Alice</SourceIdentity>\n"
		"    <AssumedRoleUser>\n      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>\n"
		"      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n    </AssumedRoleUser>\n"
		"    <Credentials>\n      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
		"      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
		"      <SessionToken>AQoDYXdzEPT//////////wEXAMPLE</SessionToken>\n"
		"      <Expiration>2019-11-09T13:34:41Z</Expiration>\n    </Credentials>\n"
		"    <PackedPolicySize>6</PackedPolicySize>\n  </AssumeRoleResult>\n"
		"  <ResponseMetadata>\n    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
		"  </ResponseMetadata>\n</AssumeRoleResponse>\n";

	is_int(wdn_creds_from_sts_xml(role, sizeof(role) - 1, &c, &err), 0, "STS XML: AssumeRole answer");
	is_str(c.key_id, "ASIAIOSFODNN7EXAMPLE", "AccessKeyId");
	is_str(c.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "SecretAccessKey");
	is_str(c.token, "AQoDYXdzEPT//////////wEXAMPLE", "SessionToken");
	is_int(c.expires, 1573306481, "Expiration");
	wdn_creds_release(&c);

	if (!td)
		td = "../shared/testdata";
	snprintf(path, sizeof(path), "%s/botocore-fixtures/tests/unit/response_parsing/xml/responses/"
		 "sts-get-session-token.xml", td);
	if (!(f = fopen(path, "r"))) {
		skip("botocore STS fixture absent");
	} else {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			wdn_buf_add(&b, chunk, n);
		fclose(f);
		is_int(wdn_creds_from_sts_xml(b.ptr, b.len, &c, &err), 0, "botocore's GetSessionToken body parses");
		is_str(c.key_id, "AKIAIOSFODNN7EXAMPLE", "its AccessKeyId");
		ok(c.token && !strchr(c.token, '\n') && !strchr(c.token, ' ') && strlen(c.token) > 200 &&
		   !strncmp(c.token, "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/LTo6UDdy", 74),
		   "its wrapped SessionToken, whitespace dropped");
		is_int(c.expires, 1310414129, "its Expiration with milliseconds");
		wdn_creds_release(&c);
		wdn_buf_release(&b);
	}
	snprintf(path, sizeof(path), "%s/botocore-fixtures/tests/unit/response_parsing/xml/errors/"
		 "sts-get-session-token.xml", td);
	if ((f = fopen(path, "r"))) {
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			wdn_buf_add(&b, chunk, n);
		fclose(f);
		is_int(wdn_creds_from_sts_xml(b.ptr, b.len, &c, &err), WDN_ECRED, "an STS error body has no credentials");
		ok(c.key_id == NULL, "and gives none");
		wdn_buf_release(&b);
	}
	is_int(wdn_creds_from_sts_xml("<a><b>", 6, &c, &err), WDN_ECRED, "malformed XML is refused");
}

/* ---- the chain's requests on the shared transport ------------------------------ */

/*
 * A scripted HTTP server in a child process: connection i gets answers[i]
 * (the last one again past the end), each request is logged as
 * "METHOD TARGET SIGNER" where SIGNER is the key ID of a SigV4 Authorization,
 * "token" for any other Authorization, "-" for none.
 */
struct script {
	pid_t pid;
	char url[64], log[400];
};

static char *answer(int status, const char *type, const char *body)
{
	struct wdn_buf b = WDN_BUF_INIT;

	wdn_buf_addf(&b, "HTTP/1.1 %d Scripted\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s", status, type, strlen(body), body);
	return wdn_buf_detach(&b, NULL);
}

/* One connection: 1 if it carried a request (the chain's probes carry none). */
static int serve_one(int fd, const char *reply, FILE *log)
{
	char req[65536], signer[64] = "-", *auth, *end;
	size_t n = http_read_request(fd, req, sizeof(req));

	if (!n)
		return 0;
	if ((auth = strcasestr(req, "\r\nauthorization:"))) {
		char *cred = strstr(auth, "Credential=");

		if (cred && cred < strstr(auth + 2, "\r\n"))
			snprintf(signer, sizeof(signer), "%.*s", (int)strcspn(cred + 11, "/"), cred + 11);
		else
			snprintf(signer, sizeof(signer), "token");
	}
	/* the request line without its " HTTP/1.1" */
	end = memchr(req, ' ', n) ? strstr(strchr(req, ' ') + 1, " HTTP/") : NULL;
	fprintf(log, "%.*s %s\n", (int)(end ? (size_t)(end - req) : strcspn(req, "\r\n")), req, signer);
	fflush(log);
	return write(fd, reply, strlen(reply)) >= 0;
}

static int script_start(struct script *s, char *const *answers, size_t n)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int l;
	size_t i;

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(s->log, sizeof(s->log), "%s/script.log", dir);
	put(s->log, "");
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(l, 16) || getsockname(l, (struct sockaddr *)&sa, &sl))
		return -1;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	if ((s->pid = fork()) < 0)
		return -1;
	if (!s->pid) {
		FILE *log = fopen(s->log, "a");

		for (i = 0; log;) {
			int fd = accept(l, NULL, NULL);

			if (fd < 0)
				_exit(1);
			if (serve_one(fd, answers[i < n ? i : n - 1], log))
				i++;
			close(fd);
		}
		_exit(0);
	}
	close(l);
	return 0;
}

/* Stop the server: its log into out. */
static void script_stop(struct script *s, char *out, size_t n)
{
	FILE *f;
	size_t got = 0;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	out[0] = '\0';
	if ((f = fopen(s->log, "r"))) {
		got = fread(out, 1, n - 1, f);
		fclose(f);
	}
	out[got] = '\0';
}

static const char sts_ok[] =
	"<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIASCRIPTEDROLE0001</AccessKeyId>"
	"<SecretAccessKey>scripted-secret</SecretAccessKey><SessionToken>scripted-token</SessionToken>"
	"<Expiration>2031-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
#define XML_ERR(code) "<ErrorResponse><Error><Code>" code "</Code><Message>scripted</Message></Error></ErrorResponse>"

/* Resolve for a client of profile whose own --endpoint-url is endpoint. */
static int resolve_ep(const char *profile, const char *endpoint, struct wdn_creds *c, struct wdn_err *err)
{
	struct wdn_aws *a;
	int rc;

	memset(err, 0, sizeof(*err));
	memset(c, 0, sizeof(*c));
	if (wdn_aws_new(profile, NULL, endpoint, &a, err))
		return -100;
	rc = wdn_creds_resolve(a, c, err);
	wdn_aws_free(a);
	return rc;
}

static void test_sts_retry(void)
{
	char *ans[3] = { answer(503, "text/xml", XML_ERR("ServiceUnavailable")),
			 answer(400, "text/xml", XML_ERR("Throttling")), answer(200, "text/xml", sts_ok) };
	struct script s;
	struct wdn_creds c;
	struct wdn_err err;
	char log[4096], want[400];
	int rc;

	clean_env();
	files("[profile r]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = b\n",
	      "[b]\naws_access_key_id = AKIASCRIPTEDSOURCE01\naws_secret_access_key = s\n");
	if (script_start(&s, ans, 3)) {
		skip("no loopback listener");
		goto done;
	}
	setenv("AWS_ENDPOINT_URL_STS", s.url, 1);
	/* the client's own --endpoint-url is for its service, not STS */
	rc = resolve_ep("r", "http://127.0.0.1:9", &c, &err);
	script_stop(&s, log, sizeof(log));
	is_int(rc, 0, "AssumeRole after a 503 and a Throttling answer: %s", err.msg);
	is_str(c.key_id, "ASIASCRIPTEDROLE0001", "the role's key");
	is_str(log, "POST / AKIASCRIPTEDSOURCE01\nPOST / AKIASCRIPTEDSOURCE01\nPOST / AKIASCRIPTEDSOURCE01\n",
	       "three attempts at AWS_ENDPOINT_URL_STS, each signed by the source profile's key");
	wdn_creds_release(&c);

	/* never better: three attempts, then STS's answer named */
	if (script_start(&s, ans, 1)) {
		skip("no loopback listener");
		goto done;
	}
	setenv("AWS_ENDPOINT_URL_STS", s.url, 1);
	rc = resolve("r", &c, &err);
	script_stop(&s, log, sizeof(log));
	ok(rc != 0, "STS answering 503 each time: fails");
	is_str(log, "POST / AKIASCRIPTEDSOURCE01\nPOST / AKIASCRIPTEDSOURCE01\nPOST / AKIASCRIPTEDSOURCE01\n",
	       "after three attempts");
	snprintf(want, sizeof(want), "role arn:aws:iam::123456789012:role/R: STS AssumeRole at %s: "
		 "ServiceUnavailable (HTTP 503): scripted", s.url);
	ok(has(err.msg, want), "naming the role, the endpoint and STS's answer: %s", err.msg);
done:
	free(ans[0]);
	free(ans[1]);
	free(ans[2]);
	clean_env();
}

static void test_web_identity_unsigned(void)
{
	char *ans[2] = { answer(500, "text/xml", XML_ERR("InternalFailure")), answer(200, "text/xml", sts_ok) };
	struct script s;
	struct wdn_creds c;
	struct wdn_err err;
	char log[4096], tok[400];
	int rc;

	clean_env();
	files("", "");
	snprintf(tok, sizeof(tok), "%s/web-token", dir);
	put(tok, "eyJ.scripted.sig\n");
	if (script_start(&s, ans, 2)) {
		skip("no loopback listener");
		goto done;
	}
	setenv("AWS_ENDPOINT_URL", s.url, 1); /* the general variable serves STS too */
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/W", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
	rc = resolve(NULL, &c, &err);
	script_stop(&s, log, sizeof(log));
	is_int(rc, 0, "web identity after a 500: %s", err.msg);
	is_str(log, "POST / -\nPOST / -\n", "two attempts at AWS_ENDPOINT_URL, neither signed");
	wdn_creds_release(&c);
done:
	free(ans[0]);
	free(ans[1]);
	clean_env();
}

static void test_container_retry(void)
{
	char *ans[1] = { answer(500, "application/json", "{\"code\":\"InternalError\",\"message\":\"scripted\"}") };
	char *good[2] = { answer(429, "application/json", "{}"),
			  answer(200, "application/json", "{\"AccessKeyId\":\"ASIASCRIPTEDECS00001\","
				 "\"SecretAccessKey\":\"x\",\"Token\":\"y\",\"Expiration\":\"2031-01-01T00:00:00Z\"}") };
	struct script s;
	struct wdn_creds c;
	struct wdn_err err;
	char log[4096], url[128], want[300];
	int rc;

	clean_env();
	files("", "");
	if (script_start(&s, ans, 1)) {
		skip("no loopback listener");
		goto done;
	}
	snprintf(url, sizeof(url), "%s/creds", s.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "scripted-container-token", 1);
	rc = resolve(NULL, &c, &err);
	script_stop(&s, log, sizeof(log));
	is_int(rc, WDN_ECRED, "a container endpoint answering 500: WDN_ECRED");
	is_str(log, "GET /creds token\nGET /creds token\nGET /creds token\n", "after three attempts, with the token");
	snprintf(want, sizeof(want), "container credentials at %s: InternalError (HTTP 500): scripted", url);
	ok(has(err.msg, want), "saying where and what came back: %s", err.msg);
	ok(!has(err.msg, "scripted-container-token"), "without the token");

	if (script_start(&s, good, 2)) {
		skip("no loopback listener");
		goto done;
	}
	snprintf(url, sizeof(url), "%s/creds", s.url);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	rc = resolve(NULL, &c, &err);
	script_stop(&s, log, sizeof(log));
	is_int(rc, 0, "429, then the credentials: %s", err.msg);
	is_str(c.key_id, "ASIASCRIPTEDECS00001", "the container's key");
	is_str(log, "GET /creds token\nGET /creds token\n", "two attempts");
	wdn_creds_release(&c);
done:
	free(ans[0]);
	free(good[0]);
	free(good[1]);
	clean_env();
}

static void test_sso_retry(void)
{
	char *ans[2] = { answer(503, "application/json", "{}"),
			 answer(200, "application/json", "{\"roleCredentials\":{\"accessKeyId\":\"ASIASCRIPTEDSSO00001\","
				"\"secretAccessKey\":\"x\",\"sessionToken\":\"y\",\"expiration\":1924992000000}}") };
	struct script s;
	struct wdn_creds c;
	struct wdn_err err;
	char log[4096], p[600];
	int rc;

	clean_env();
	files("[profile s]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Dev Role\n"
	      "[sso-session my-sso]\nsso_start_url = https://my-sso-portal.awsapps.com/start\n"
	      "sso_region = eu-west-1\n", "");
	snprintf(p, sizeof(p), "%s/.aws/sso/cache/0ad374308c5a4e22f723adf10145eafad7c4031c.json", home);
	put(p, "{\"accessToken\": \"sso-secret-token\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}");
	if (script_start(&s, ans, 2)) {
		skip("no loopback listener");
		goto done;
	}
	setenv("AWS_ENDPOINT_URL_SSO", s.url, 1);
	rc = resolve("s", &c, &err);
	script_stop(&s, log, sizeof(log));
	is_int(rc, 0, "the SSO portal after a 503: %s", err.msg);
	is_str(c.key_id, "ASIASCRIPTEDSSO00001", "the role's key");
	is_int(c.expires, 1924992000, "expiring when the portal said");
	is_str(log, "GET /federation/credentials?account_id=111122223333&role_name=Dev%20Role -\n"
	       "GET /federation/credentials?account_id=111122223333&role_name=Dev%20Role -\n",
	       "two GetRoleCredentials at AWS_ENDPOINT_URL_SSO, unsigned");
	wdn_creds_release(&c);
done:
	free(ans[0]);
	free(ans[1]);
	unlink(p);
	clean_env();
}

static void test_imds_once(void)
{
	char *ans[1] = { answer(500, "text/plain", "") };
	struct script s;
	struct wdn_creds c;
	struct wdn_err err;
	char log[4096];

	clean_env();
	files("", "");
	if (script_start(&s, ans, 1)) {
		skip("no loopback listener");
		goto done;
	}
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", s.url, 1);
	resolve(NULL, &c, &err);
	script_stop(&s, log, sizeof(log));
	is_str(log, "PUT /latest/api/token -\n", "IMDS: the token PUT is tried once");
	ok(has(err.msg, "no IMDSv2 token (HTTP 500)"), "and fails softly: %s", err.msg);
done:
	free(ans[0]);
	clean_env();
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char aws[400], sso[400];

	snprintf(dir, sizeof(dir), "%s/wdn-creds.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(aws, sizeof(aws), "%s/.aws", home);
	snprintf(sso, sizeof(sso), "%s/.aws/sso", home);
	mkdir(home, 0700);
	mkdir(aws, 0700);
	mkdir(sso, 0700);
	snprintf(sso, sizeof(sso), "%s/.aws/sso/cache", home);
	mkdir(sso, 0700);
	snprintf(path_config, sizeof(path_config), "%s/config", dir);
	snprintf(path_creds, sizeof(path_creds), "%s/credentials", dir);
	setenv("HOME", home, 1);
	setenv("AWS_CONFIG_FILE", path_config, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_creds, 1);

	test_env();
	test_static();
	test_process();
	test_nothing();
	test_roles();
	test_sso();
	test_sts_xml();
	test_sts_retry();
	test_web_identity_unsigned();
	test_container_retry();
	test_sso_retry();
	test_imds_once();

	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return done_testing();
}
