//! The global allocator: a linked-list heap over a fixed arena the size of the heap budget,
//! counting its peak use. Going over the budget is an allocation failure, which the panic handler
//! reports over the link (never a silent pass, never a hang).

use core::alloc::{GlobalAlloc, Layout};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

use embedded_alloc::LlffHeap;

// `pub const ARENA: usize`: 32 KiB, the budget (`SCEP_FW_HEAP_BYTES`, see `build.rs`).
include!(concat!(env!("OUT_DIR"), "/heap.rs"));

/// [`LlffHeap`] with a high-water mark and the size of the first allocation it could not make.
pub struct CountingHeap {
    heap: LlffHeap,
    peak: AtomicUsize,
    failed: AtomicUsize,
}

impl CountingHeap {
    /// An empty heap; [`init`](Self::init) gives it its arena.
    pub const fn new() -> Self {
        Self {
            heap: LlffHeap::empty(),
            peak: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    /// Hands the arena to the heap. Call once, before the first allocation.
    pub fn init(&self) {
        static mut MEMORY: [MaybeUninit<u8>; ARENA] = [MaybeUninit::uninit(); ARENA];
        // SAFETY: called once from `main` before anything allocates; nothing else uses MEMORY.
        #[allow(unsafe_code)]
        unsafe {
            self.heap
                .init(core::ptr::addr_of_mut!(MEMORY) as usize, ARENA);
        }
    }

    /// The most the arena has held at once, in bytes (the allocator's rounding included).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// What the arena holds now.
    pub fn used(&self) -> usize {
        self.heap.used()
    }

    /// The size of the allocation that failed, if one did.
    pub fn failed(&self) -> Option<usize> {
        match self.failed.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }
}

// SAFETY: forwards to LlffHeap, which upholds GlobalAlloc's contract; the counters do not touch
// the memory handed out.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        let p = unsafe { self.heap.alloc(layout) };
        if p.is_null() {
            let _ = self.failed.compare_exchange(
                0,
                layout.size().max(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else {
            self.peak.fetch_max(self.heap.used(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`.
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}
