package transcode

/*
#cgo pkg-config: libavutil
#include <errno.h>
#include <libavutil/error.h>

static int cg_eagain(void) { return AVERROR(EAGAIN); }
*/
import "C"

import (
	"fmt"

	"github.com/asticode/go-astiav"
)

// The two return codes of libavcodec's send/receive calls that are not
// failures: "call the other one first" and "drained".
var (
	codeAgain = int(C.cg_eagain())
	codeEOF   = int(C.AVERROR_EOF)
)

// avError keeps libav's own message for a failed call.
func avError(op string, code int) error {
	return fmt.Errorf("%s: %w", op, astiav.Error(code))
}
