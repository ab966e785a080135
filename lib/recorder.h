/*
 * Recording inputs in groups (wdn-record): several inputs in one
 * transaction, each input's issuances and changes held in memory until it
 * is read whole (past 256 KiB of them, written behind its own savepoint),
 * their sightings folded in memory and written once, sorted, just before
 * the group's commit. A commit rewrites every page it touches; one per
 * group rather than one per input. Internal to libwdn and the commands;
 * not installed.
 */
#ifndef WDN_RECORDER_H
#define WDN_RECORDER_H

#include "wdn.h"
#include "testing.h"

#include <stddef.h>

/* Group inputs from now on (on 1) or not: 1 if the store can (SQLite),
 * else 0 and each input is to be flushed as before (DynamoDB). */
int wdn_recorder_group(struct wdn_recorder *r, int on);
/* An input was read whole: keep it in the group (what it held written,
 * its savepoint released, its sightings folded into the group's). Not
 * durable until wdn_recorder_flush commits the group. On failure part of
 * the input may be written with no savepoint: the group is lost (never
 * flush it). Without grouping: a flush. */
int wdn_recorder_keep_input(struct wdn_recorder *r, struct wdn_err *err);
/* Have the group's sightings reached what memory allows? Then flush. */
int wdn_recorder_group_full(const struct wdn_recorder *r);

/* for tests: the longest chain of the sightings' table since the last flush */
size_t wdn_recorder_longest_chain(const struct wdn_recorder *r) WDN_UNITTEST;

#endif
