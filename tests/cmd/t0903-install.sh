#!/bin/sh
# make install / uninstall with PREFIX and DESTDIR: commands, libwdn (soname),
# wdn.h, wdn.pc, man pages, completions where each shell looks (and loads
# them, where zsh and fish are installed); the installed commands run, and a
# program builds against the installed library.
. tests/cmd/lib.sh
root="$T/root"
b=${WDN_BUILD#"$WDN_TOP/"}
bin=${WDN_BIN#"$WDN_TOP/"}
make -s -C "$WDN_TOP" install B="$b" BIN="$bin" PREFIX=/usr DESTDIR="$root" >"$T/out" 2>&1
ok "make install PREFIX=/usr DESTDIR=… succeeds" || sed 's/^/# /' "$T/out" | tail -5

cmds="wdn-record wdn-lookup wdn-chain wdn-tags wdn-enrich"
share="$root/usr/share"
for c in $cmds; do
	[ -x "$root/usr/bin/$c" ] && [ -f "$share/man/man1/$c.1" ] &&
		[ -f "$share/bash-completion/completions/$c" ] &&
		[ -f "$share/fish/vendor_completions.d/$c.fish" ]
	ok "$c: command, man page and bash, fish completions installed"
done
# one zsh file for every command; fish's per-command files call a function
[ -f "$share/zsh/site-functions/_wdn" ] && [ -f "$share/fish/vendor_functions.d/__wdn_complete.fish" ]
ok "zsh completion _wdn and fish function __wdn_complete installed"
if command -v zsh >/dev/null 2>&1; then
	got=$(zsh -fc 'fpath=($1 $fpath); autoload -Uz compinit && compinit -u -D
		for c in ${@[2,-1]}; print -rn -- "$c=$_comps[$c] "' zsh "$share/zsh/site-functions" $cmds)
	is "$got" "$(for c in $cmds; do printf '%s=_wdn ' "$c"; done)" "zsh: compinit gives every command _wdn"
else
	skip "zsh not installed: _wdn not loaded"
fi
if command -v fish >/dev/null 2>&1; then
	# as installed, fish loads CMD.fish to complete CMD, and __wdn_complete
	got=$(PATH="$root/usr/bin:$PATH" fish -c '
		set fish_function_path $argv[1] $fish_function_path
		set fish_complete_path $argv[2] $fish_complete_path
		for c in $argv[3..-1]
			complete -C "$c --hel"
		end' "$share/fish/vendor_functions.d" "$share/fish/vendor_completions.d" $cmds | cut -f1 | tr '\n' ' ')
	is "$got" "--help --help --help --help --help " "fish: every command completes --help from the installed files"
else
	skip "fish not installed: its installed completions not loaded"
fi
[ -f "$root/usr/share/man/man7/wdn.7" ]
ok "wdn.7 installed"
[ -f "$root/usr/include/wdn.h" ] && [ -f "$root/usr/lib/pkgconfig/wdn.pc" ] && [ -f "$root/usr/lib/libwdn.a" ]
ok "header, pkg-config file and static library installed"
is "$(objdump -p "$root/usr/lib/libwdn.so.0" | awk '/SONAME/ { print $2 }')" libwdn.so.0 "libwdn.so.0 carries its soname"
is "$(readlink "$root/usr/lib/libwdn.so")" libwdn.so.0 "libwdn.so links to it"

"$root/usr/bin/wdn-lookup" --version | grep -q "^wdn-lookup (whodunnit) "
ok "the installed wdn-lookup runs"
"$root/usr/bin/wdn-record" -q --store "$T/i.db" "$FIX/seed-example.json" &&
	is "$("$root/usr/bin/wdn-lookup" --store "$T/i.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -c '.PrincipalChain | length')" 4 \
		"the installed commands record and look up"

# The installed header is the whole API: what libwdn.so exports is what
# wdn.h marks WDN_API, both ways, and the modules' internals (transport,
# SigV4, JSON, XML, ini, S3, credentials) stay inside the library.
inc="$root/usr/include"
is "$(cd "$inc" && ls)" wdn.h "the one header installed is wdn.h"
# (a make asan library adds AddressSanitizer's __odr_asan.NAME beside an exported variable)
nm -D --defined-only "$root/usr/lib/libwdn.so.0" | awk '{ print $3 }' | grep -v '^__odr_asan\.' | sort >"$T/exported"
sed -n 's/^WDN_API //p' "$inc/wdn.h" | sed 's/[[(].*//' | awk '{ print $NF }' | tr -d '*' | sort >"$T/declared"
[ -s "$T/exported" ] && [ -s "$T/declared" ]
ok "nm -D lists exports, and wdn.h marks declarations WDN_API"
extra=$(comm -23 "$T/exported" "$T/declared" | tr '\n' ' ')
is "$extra" "" "libwdn.so.0 exports nothing that wdn.h does not declare WDN_API"
missing=$(comm -13 "$T/exported" "$T/declared" | tr '\n' ' ')
is "$missing" "" "every WDN_API declaration of wdn.h is exported"
internal=$(grep -E '^wdn_((http|sigv4|json|gen|xml|ini|s3|creds|ddb|arn|time|fs)_|hmac|sha256|aws_(perform|call|json|endpoint|creds|parse)|strn?dup|hash)' "$T/exported" | tr '\n' ' ')
is "$internal" "" "no module internal is exported (transport, SigV4, JSON, XML, ini, S3, credentials, strings)"
for lib in curl yajl sqlite3 openssl expat zlib sodium libdeflate; do
	got=$(grep -n -E "^#[[:space:]]*include[[:space:]]*[<\"]$lib" "$inc/wdn.h")
	is "$got" "" "the installed header includes no <$lib...> header"
done
# in declarations, not words of prose: a curl_/yajl_/sqlite3 name is a type or a call
got=$(sed 's|/\*.*\*/||' "$inc/wdn.h" | grep -n -E '(curl_[a-z]|yajl_[a-z]|sqlite3|EVP_|XML_Parser)')
is "$got" "" "and names no libcurl, yajl, SQLite, OpenSSL or expat type"

# A program of the public API alone: key facts, a store the installed
# wdn-record wrote, an answer as JSON; built with pkg-config, linked to the .so.
cat >"$T/prog.c" <<'C'
#include <stdio.h>
#include <wdn.h>
int main(int argc, char **argv)
{
	struct wdn_store *s;
	struct wdn_answer a;
	struct wdn_buf out = WDN_BUF_INIT;
	struct wdn_err err;
	char acct[16];

	if (wdn_key_account("ASIAY34FZKBOKMUTVV7A", acct))
		return 1;
	printf("%s %s\n", wdn_key_type("ASIAY34FZKBOKMUTVV7A"), acct);
	if (argc < 3 || wdn_store_open(argv[1], 0, NULL, &s, &err))
		return 2;
	if (wdn_resolve(s, argv[2], WDN_TIME_MAX, &a, &err) || wdn_answer_json(&a, 0, &out))
		return 3;
	printf("%s %s\n%s\n", a.found ? "found" : "unknown", wdn_integrity_name(a.integrity), out.ptr);
	wdn_answer_release(&a);
	wdn_buf_release(&out);
	wdn_store_close(s);
	return 0;
}
C
flags=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$root/usr/lib/pkgconfig" pkg-config --cflags --libs wdn)
# a library built with sanitizers (make asan) needs a program built with them
cc -Wall -Werror ${WDN_SANITIZED:+-fsanitize=address,undefined} -o "$T/prog" "$T/prog.c" $flags >"$T/cc" 2>&1
ok "a program builds against the installed library with pkg-config" || sed 's/^/# /' "$T/cc"
LD_LIBRARY_PATH="$root/usr/lib" "$T/prog" "$T/i.db" ASIATJVZAAAARRT5X7PR >"$T/prog.out" 2>&1
ok "and runs with it" || sed 's/^/# /' "$T/prog.out"
is "$(sed -n 1,2p "$T/prog.out" | tr '\n' ' ')" "temporary 609629065308 found unverified " \
	"it reads key facts and resolves a key from the installed library"
sed -n '3,$p' "$T/prog.out" | jq -cS . >"$T/prog.json" 2>&1
"$root/usr/bin/wdn-lookup" --store "$T/i.db" --no-trails ASIATJVZAAAARRT5X7PR | jq -cS . >"$T/lookup.json"
if cmp -s "$T/prog.json" "$T/lookup.json"; then
	pass "wdn_answer_json gives the object the installed wdn-lookup prints"
else
	fail "wdn_answer_json gives the object the installed wdn-lookup prints"
	diff "$T/lookup.json" "$T/prog.json" | sed 's/^/# /' | cut -c1-300
fi

make -s -C "$WDN_TOP" uninstall B="$b" BIN="$bin" PREFIX=/usr DESTDIR="$root" >"$T/out" 2>&1
ok "make uninstall succeeds"
left=$(find "$root" -type f | wc -l | tr -d ' ')
is "$left" 0 "and leaves no file behind"
done_testing
