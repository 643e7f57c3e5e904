package transcode

/*
#include <malloc.h>
*/
import "C"

// LimitMallocArenas caps the number of glibc malloc arenas. glibc gives each
// thread that allocates its own arena, up to eight per core; in a cgo program
// every OS thread that runs libav allocates, and the Go runtime adds threads
// when cgo calls keep them busy. Freed memory then stays scattered over as
// many arenas, and RSS follows the thread count. Measured with the soak
// (cmd/soak, 16 cameras, two other CPU-bound processes on the machine): the
// threads went from 7 to 11 and RSS from 117 MB to 166 MB in ten minutes,
// with a flat Go heap. camgate's allocations are few and large (frames,
// packets from pools), so a couple of arenas cost no contention.
//
// Call it once at the start of the process; it returns false if glibc
// refused (or is not the C library).
func LimitMallocArenas(n int) bool {
	return C.mallopt(C.M_ARENA_MAX, C.int(n)) == 1
}

// ReleaseFreeMemory hands memory that libav freed back to the system
// (malloc_trim). glibc returns only the top of its heaps by itself; pictures
// freed in the middle stay counted in RSS. The gateway calls this every
// 30 s, which keeps RSS close to what is really used after cameras come and
// go.
func ReleaseFreeMemory() {
	C.malloc_trim(0)
}
