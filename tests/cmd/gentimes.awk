# gentimes.awk: a small CloudTrail trail whose answers change with time, for
# the property tests of t0704 (an enriched event's answer is the lookup at
# its eventTime, whatever shares the run). Deterministic for a seed.
#
#   awk -v seed=N -v files=F -v steps=S -f gentimes.awk
#
# Prints "FILE<TAB>EVENT" lines, FILE in 0..F-1, events in time order.
# What it holds: IAM users, some created in the trail with their keys
# (CreateAccessKey), some whose keys are known only from use; renames
# (UpdateUser), tag changes of users and roles, key status changes and a
# deletion; role sessions (AssumeRole) used within their hour; a session key
# ID issued twice to two roles; a session key never issued in the trail,
# used by one role and later by another; a key used before it is issued
# and after its session expired; the administrator making the IAM
# changes uses a key known only from use, and is renamed and tagged too.
BEGIN {
	srand(seed + 0)
	acct = sprintf("1%05d%06d", seed % 100000, (seed * 7919) % 1000000)
	t = 1704067200 + (seed % 50) * 86400 # 2024-01-01 + a few weeks
	nid = 0
	B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", MON, " ")
	nusers = 3 + seed % 3
	nroles = 2 + seed % 2
	admin = "admin" seed
	adminkey = key("AKIA")
	for (i = 1; i <= nusers; i++) {
		uname[i] = "u" i "s" seed
		ukey[i] = key("AKIA")
		urenames[i] = 0
		# a third of the users predate the trail; half the keys too
		if (i % 3 != 0)
			out(ev_iam("CreateUser", "{\"userName\":\"" uname[i] "\",\"tags\":[{\"key\":\"team\",\"value\":\"t" i "\"},{\"key\":\"Level\",\"value\":\"1\"}]}", "null"))
		if (i % 2 == 1) {
			tick(1, 5)
			out(ev_iam("CreateAccessKey", "{\"userName\":\"" uname[i] "\"}",
				"{\"accessKey\":{\"accessKeyId\":\"" ukey[i] "\",\"status\":\"Active\",\"userName\":\"" uname[i] "\",\"createDate\":\"" exp_time(t) "\"}}"))
			ucreated[i] = 1
		}
	}
	for (j = 1; j <= nroles; j++) {
		rname[j] = "Role" j "s" seed
		tick(1, 5)
		out(ev_iam("CreateRole", "{\"roleName\":\"" rname[j] "\",\"tags\":[{\"key\":\"dept\",\"value\":\"d" j "\"}]}", "null"))
	}
	out(ev_iam("TagUser", "{\"userName\":\"" admin "\",\"tags\":[{\"key\":\"role\",\"value\":\"admin\"}]}", "null"))
	recycled = key("ASIA")
	shared = key("ASIA")
	nsess = 0
	for (s = 1; s <= steps; s++) {
		tick(10, 240)
		if (s == int(steps / 4) || s == int(3 * steps / 4)) {
			# the same key ID issued twice, to two roles
			assume(1 + int(rand() * nusers), s < steps / 2 ? 1 : nroles, recycled)
			nrec++
			rec_role[nrec] = live_role
			rec_sess[nrec] = live_sess
			rec_start[nrec] = live_start
			continue
		}
		if (s == int(steps / 8)) {
			# used before it was ever issued (a session the trail missed)
			out(ev_use(ui_role(rname[nroles], "early" seed, recycled, t - 900)))
			continue
		}
		if (s == int(steps / 2) || s == int(steps * 0.9)) {
			# used after its session expired
			out(ev_use(ui_role(rname[rec_role[nrec]], rec_sess[nrec], recycled, rec_start[nrec])))
			continue
		}
		r = rand()
		if (r < 0.22) {
			i = 1 + int(rand() * nusers)
			out(ev_use(ui_user(uname[i], ukey[i])))
		} else if (r < 0.40) {
			use_session()
		} else if (r < 0.50) {
			assume(1 + int(rand() * nusers), 1 + int(rand() * nroles), key("ASIA"))
		} else if (r < 0.58) {
			i = pick_user()
			out(ev_iam("TagUser", "{\"userName\":\"" name_of(i) "\",\"tags\":[{\"key\":\"k" int(rand() * 3) "\",\"value\":\"v" s "\"}]}", "null"))
		} else if (r < 0.63) {
			i = pick_user()
			out(ev_iam("UntagUser", "{\"userName\":\"" name_of(i) "\",\"tagKeys\":[\"k" int(rand() * 3) "\",\"team\"]}", "null"))
		} else if (r < 0.69) {
			rename(pick_user())
		} else if (r < 0.76) {
			j = 1 + int(rand() * nroles)
			if (rand() < 0.6)
				out(ev_iam("TagRole", "{\"roleName\":\"" rname[j] "\",\"tags\":[{\"key\":\"dept\",\"value\":\"d" s "\"},{\"key\":\"k" int(rand() * 3) "\",\"value\":\"r" s "\"}]}", "null"))
			else
				out(ev_iam("UntagRole", "{\"roleName\":\"" rname[j] "\",\"tagKeys\":[\"dept\"]}", "null"))
		} else if (r < 0.81) {
			i = 1 + int(rand() * nusers)
			if (ucreated[i])
				out(ev_iam("UpdateAccessKey", "{\"userName\":\"" uname[i] "\",\"accessKeyId\":\"" ukey[i] "\",\"status\":\"" (rand() < 0.5 ? "Inactive" : "Active") "\"}", "null"))
		} else if (r < 0.90) {
			# a session key never issued in the trail: one role, then another
			j = s < steps / 2 ? 1 : nroles
			out(ev_use(ui_role(rname[j], "shared" seed, shared, t - 600)))
		} else {
			out(ev_use(ui_user(admin, adminkey)))
		}
		if (s == int(steps * 0.85)) {
			out(ev_iam("DeleteAccessKey", "{\"userName\":\"" uname[1] "\",\"accessKeyId\":\"" ukey[1] "\"}", "null"))
			tick(5, 30)
			out(ev_use(ui_user(uname[1], ukey[1])))
		}
	}
}

function tick(lo, hi) { t += 60 * (lo + int(rand() * (hi - lo + 1))) }

function key(prefix,    k, n) {
	do {
		k = prefix
		for (n = 0; n < 16; n++)
			k = k substr(B32, 1 + int(rand() * 32), 1)
	} while (k in used)
	used[k] = 1
	return k
}

# users 0 (the administrator) .. nusers
function pick_user() { return int(rand() * (nusers + 1)) }
function name_of(i) { return i ? uname[i] : admin }

function rename(i,    old, nn) {
	old = name_of(i)
	nn = old "x"
	if (i && urenames[i]++ >= 2)
		return
	if (!i && adminrenamed++)
		return
	out(ev_iam("UpdateUser", "{\"userName\":\"" old "\",\"newUserName\":\"" nn "\"}", "null"))
	if (i)
		uname[i] = nn
	else
		admin = nn
}

function assume(i, j, k,    sess, t0, uses, u) {
	sess = "s" (++nsess)
	t0 = t
	out(ev("AssumeRole", "sts.amazonaws.com", ui_user(uname[i], ukey[i]),
		"{\"roleArn\":\"arn:aws:iam::" acct ":role/" rname[j] "\",\"roleSessionName\":\"" sess "\",\"durationSeconds\":3600}",
		"{\"credentials\":{\"accessKeyId\":\"" k "\",\"sessionToken\":\"tok\",\"expiration\":\"" exp_time(t + 3600) "\"},\"assumedRoleUser\":{\"assumedRoleId\":\"AROAX:" sess "\",\"arn\":\"arn:aws:sts::" acct ":assumed-role/" rname[j] "/" sess "\"}}"))
	live_key = k
	live_role = j
	live_sess = sess
	live_start = t0
	uses = 1 + int(rand() * 3)
	for (u = 0; u < uses; u++) {
		tick(1, 15)
		use_session()
	}
}

function use_session() {
	if (live_key == "" || t > live_start + 3600)
		return
	out(ev_use(ui_role(rname[live_role], live_sess, live_key, live_start)))
}

function ui_user(name, k) {
	return "{\"type\":\"IAMUser\",\"principalId\":\"AIDAGEN" seed "\",\"arn\":\"arn:aws:iam::" acct ":user/" name "\",\"accountId\":\"" acct "\",\"accessKeyId\":\"" k "\",\"userName\":\"" name "\"}"
}

function ui_role(role, sess, k, t0) {
	return "{\"type\":\"AssumedRole\",\"principalId\":\"AROAX:" sess "\",\"arn\":\"arn:aws:sts::" acct ":assumed-role/" role "/" sess "\",\"accountId\":\"" acct "\",\"accessKeyId\":\"" k "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAX\",\"arn\":\"arn:aws:iam::" acct ":role/" role "\",\"accountId\":\"" acct "\",\"userName\":\"" role "\"},\"attributes\":{\"creationDate\":\"" iso(t0) "\",\"mfaAuthenticated\":\"false\"}}}"
}

function ev_iam(name, rp, re) { return ev(name, "iam.amazonaws.com", ui_user(admin, adminkey), rp, re) }
function ev_use(ui) { return ev("ListBuckets", "s3.amazonaws.com", ui, "null", "null") }

function ev(name, src, ui, rp, re) {
	nid++
	return "{\"eventVersion\":\"1.09\",\"userIdentity\":" ui ",\"eventTime\":\"" iso(t) "\",\"eventSource\":\"" src \
		"\",\"eventName\":\"" name "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"gentimes\"," \
		"\"requestParameters\":" rp ",\"responseElements\":" re ",\"requestID\":\"r" seed "-" nid "\",\"eventID\":\"" \
		sprintf("e%s-%05d", seed, nid) "\",\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"managementEvent\":true," \
		"\"recipientAccountId\":\"" acct "\",\"eventCategory\":\"Management\"}"
}

function out(e) { print int(rand() * files) "\t" e }

# civil date of epoch seconds (days-from-civil inverted, for any awk)
function civil(s,    z, era, doe, yoe, doy, mp) {
	z = int(s / 86400) + 719468
	era = int(z / 146097)
	doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	Y = yoe + era * 400
	doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153)
	D = doy - int((153 * mp + 2) / 5) + 1
	M = mp < 10 ? mp + 3 : mp - 9
	if (M <= 2)
		Y++
	hh = int((s % 86400) / 3600)
	mm = int((s % 3600) / 60)
	ss = s % 60
}
function iso(s) { civil(s); return sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, hh, mm, ss) }
# CloudTrail's "Mar 4, 2024, 11:00:00 AM"
function exp_time(s,    h) {
	civil(s)
	h = hh % 12
	return sprintf("%s %d, %d, %d:%02d:%02d %s", MON[M], D, Y, h ? h : 12, mm, ss, hh < 12 ? "AM" : "PM")
}
