//! The binary's global allocator: mimalloc (decision 0042), with the
//! requests `malloc` already aligns sent to its plain entry points (decision
//! 0065), and the options the binary sets at start-up. Kept in the library
//! so that its tests run (the binary target's do not: `test = false`).

extern "C" {
    fn mi_malloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_zalloc(size: usize) -> *mut std::ffi::c_void;
    fn mi_realloc(ptr: *mut std::ffi::c_void, new_size: usize) -> *mut std::ffi::c_void;
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    fn mi_collect(force: bool);
}

/// mimalloc's `mi_option_purge_delay`: its place in `mi_option_e` of the
/// mimalloc v3 that libmimalloc-sys builds (a test checks it is that option).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// How long mimalloc keeps freed memory before giving it back to the system,
/// in milliseconds: 1,000 by default in mimalloc v3, so that what a stage
/// frees stays resident through the next; 100 ms gives back 15% of the peak
/// of a 10,000-unit scan for no measurable time (decision 0050).
const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Gives the memory mimalloc holds freed back to the system now
/// ([`aml_model::memory`]).
pub fn release_freed_memory() {
    // SAFETY: mimalloc's collection, callable from any thread at any time.
    unsafe { mi_collect(true) }
}

/// Sets mimalloc's purge delay to [`PURGE_DELAY_MS`], unless
/// `MIMALLOC_PURGE_DELAY` says otherwise (then that wins).
pub fn set_purge_delay() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options, which it reads atomically.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

/// The largest alignment mimalloc's `mi_malloc` gives every block of at
/// least that size (`MI_MAX_ALIGN_SIZE`; smaller blocks are aligned to their
/// size rounded up to a word), as C's `malloc` does.
const MALLOC_ALIGN: usize = 16;

/// mimalloc, with the requests `malloc` already aligns sent to `mi_malloc`
/// and `mi_realloc` rather than their `_aligned` forms (as the standard
/// library's own allocator does with the system's `malloc`): `mimalloc::MiMalloc`
/// sends every request through the aligned forms, whose checks were 3% of
/// the instructions of a 1,000-unit scan (decision 0065). The rest go to
/// `MiMalloc`.
pub struct Allocator;

/// Whether a block of `size` bytes from `mi_malloc` is aligned to `align`.
#[inline]
fn malloc_aligns(size: usize, align: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

// SAFETY: each method returns what `mi_malloc`, `mi_zalloc` or `mi_realloc`
// return (blocks aligned as `malloc_aligns` says, or null) or what `MiMalloc`
// returns; `mi_free` frees blocks from either.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if malloc_aligns(layout.size(), layout.align()) {
            unsafe { mi_malloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if malloc_aligns(layout.size(), layout.align()) {
            unsafe { mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if malloc_aligns(new_size, layout.align()) {
            unsafe { mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout};

    /// The option [`set_purge_delay`] sets is mimalloc's purge delay: v3's
    /// default (1,000 ms) is what reads there before it is set (a
    /// libmimalloc-sys update that moves the option makes this fail).
    #[test]
    fn the_purge_delay_option_is_where_it_is_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads one of mimalloc's options.
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 1000);
    }

    /// Every block the allocator returns is aligned as its layout asks,
    /// through `mi_malloc` (small alignments) and `MiMalloc` (the others),
    /// zeroed when asked, and keeps its bytes when it grows or shrinks.
    #[test]
    fn blocks_are_aligned_as_asked_and_keep_their_bytes() {
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1usize..=80).chain([255, 256, 1000, 4096, 70_000]) {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: a non-zero size; each block is freed with its layout.
                unsafe {
                    let zeroed = Allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0, "zeroed {size} {align}");
                    assert!((0..size).all(|i| *zeroed.add(i) == 0));
                    Allocator.dealloc(zeroed, layout);
                    for new_size in [size / 2 + 1, size * 3] {
                        let p = Allocator.alloc(layout);
                        assert_eq!(p as usize % align, 0, "{size} bytes aligned to {align}");
                        for i in 0..size {
                            *p.add(i) = (i % 251) as u8;
                        }
                        let q = Allocator.realloc(p, layout, new_size);
                        assert_eq!(q as usize % align, 0, "{size} -> {new_size}, {align}");
                        let kept = size.min(new_size);
                        assert!((0..kept).all(|i| *q.add(i) == (i % 251) as u8));
                        Allocator.dealloc(q, Layout::from_size_align(new_size, align).unwrap());
                    }
                }
            }
        }
    }
}
