//! How the server binary asks the C allocator to behave.
//!
//! glibc serves a large allocation with its own `mmap` and gives it back on
//! free, but it raises that threshold to the size of each such block freed
//! (up to 32 MiB), so the next 19 MiB argon2 buffer comes from a heap arena
//! and stays resident after it is freed. A fixed threshold switches that
//! adjustment off: every block of 16 MiB or more (argon2's) is mapped on its
//! own and returned when freed, so the server's memory falls back after a
//! burst of sign-ins (`domain::accounts::password` frees each verification's
//! buffer). Fixing it also fixes the trim threshold, which would stay at
//! 128 KiB: the arenas would then hand pages back and fault them in again on
//! every page render (brotli's few-MiB buffers). 16 MiB keeps those reused.
//! `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` in the environment
//! (glibc's own tunables) win over these. Measured by
//! `scripts/bench-portal.sh` and by
//! `startup::a_sign_in_flood_from_many_addresses_keeps_memory_bounded`.

/// Allocations at least this large are mapped on their own.
pub const MMAP_THRESHOLD: usize = 16 << 20;
/// Free memory at the top of an arena beyond this goes back to the system.
pub const TRIM_THRESHOLD: usize = 16 << 20;

/// Applies the settings above; a no-op where the allocator is not glibc's.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        for (param, env, value) in [
            (
                libc::M_MMAP_THRESHOLD,
                "MALLOC_MMAP_THRESHOLD_",
                MMAP_THRESHOLD,
            ),
            (
                libc::M_TRIM_THRESHOLD,
                "MALLOC_TRIM_THRESHOLD_",
                TRIM_THRESHOLD,
            ),
        ] {
            if std::env::var_os(env).is_some() {
                continue;
            }
            let value = libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
            // SAFETY: mallopt only changes the allocator's parameters, under
            // its own lock; it is safe to call at any time from any thread.
            unsafe { libc::mallopt(param, value) };
        }
    }
}
