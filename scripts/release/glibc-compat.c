/*
 * Keeps the release binaries' glibc floor at 2.17 (RHEL/CentOS 7, the oldest glibc Native AOT's
 * runtime otherwise asks for) instead of 2.29.
 *
 * glibc 2.29 gave log() and pow() new symbol versions (GLIBC_2.29): the new versions only drop
 * the old SVID/matherr error-handling wrapper; the computation is the same code in both. Linking
 * against a 2.29+ libm (bullseye has 2.31) binds the runtime's calls to the new versions, and the
 * binary then refuses to start on glibc < 2.29. The linker is run with --wrap=log,--wrap=pow, so
 * every call to log/pow in the runtime's static libraries lands in __wrap_log/__wrap_pow here,
 * and these call the original versions, bound by .symver: GLIBC_2.2.5 on x86-64 and GLIBC_2.17
 * on aarch64 (the first glibc for that architecture). Those exist in every glibc since, 2.29+
 * included, so the binary still runs on new hosts. No headers: nothing here depends on the
 * sysroot's, and the prototypes are C's own.
 * Tested by tests/RawSelect.Tests/Release/GlibcCompatShimTests.cs.
 */
#if defined(__x86_64__)
#define RAWSELECT_LIBM_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define RAWSELECT_LIBM_BASE "GLIBC_2.17"
#else
#error "glibc-compat.c: add this architecture's first glibc symbol version"
#endif

double rawselect_log_base(double x);
double rawselect_pow_base(double x, double y);
__asm__(".symver rawselect_log_base, log@" RAWSELECT_LIBM_BASE);
__asm__(".symver rawselect_pow_base, pow@" RAWSELECT_LIBM_BASE);

double __wrap_log(double x) { return rawselect_log_base(x); }
double __wrap_pow(double x, double y) { return rawselect_pow_base(x, y); }
