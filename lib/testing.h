/*
 * Test seams. A function marked WDN_UNITTEST is one that unit tests or fuzz
 * targets call and no other module does: it would be static otherwise. It is
 * declared in its module's header under "for tests", reached by the tests,
 * which link libwdn.a, and hidden, so libwdn.so never exports it. Tests
 * reach a module's static functions through such a seam, never by including
 * its .c file. Internal to libwdn; not installed.
 */
#ifndef WDN_TESTING_H
#define WDN_TESTING_H

#define WDN_UNITTEST __attribute__((visibility("hidden")))

#endif
