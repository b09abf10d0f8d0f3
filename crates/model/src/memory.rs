//! A hook through which the scan asks the allocator to give the memory it
//! freed back to the system now, at the few points where much was freed at
//! once (the texts the front ends were handed, decision 0055). The binary
//! registers its allocator's call ([`on_release`]); libraries and tests
//! that register nothing make [`release_freed`] do nothing.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Registers what [`release_freed`] calls (the first registration stays).
pub fn on_release(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Gives freed memory back to the system, if a hook is registered.
pub fn release_freed() {
    if let Some(release) = RELEASE.get() {
        release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[test]
    fn the_registered_release_is_called_and_the_first_one_stays() {
        release_freed();
        assert_eq!(CALLS.load(Ordering::Relaxed), 0, "nothing registered yet");
        on_release(|| {
            CALLS.fetch_add(1, Ordering::Relaxed);
        });
        on_release(|| panic!("a second registration is ignored"));
        release_freed();
        release_freed();
        assert_eq!(CALLS.load(Ordering::Relaxed), 2);
    }
}
