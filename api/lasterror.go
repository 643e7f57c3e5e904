package api

import (
	"strings"

	"github.com/camgate/camgate/conf"
	"github.com/camgate/camgate/pipeline"
)

// publicLastError is a camera's last error as the API shows it.
//
// Whoever may change a camera's URL can point it at any host and port the
// camgate machine reaches, and read back what happened: "connection
// refused" (a closed port), "no answer within 10s" (a filtered one or a
// silent service), a banner of whatever answered. That would make the API a
// port scanner of the networks behind camgate, for the admin token and for
// anyone who may read last_error. So, until a camera's URL has given camgate
// video at least once, the API shows only what an RTSP server said (its
// status: 401, 404…), which an operator setting up a camera needs and which
// tells nothing about ports that are not RTSP; everything else reads the
// same. camgate's log, the machine owner's, keeps the full error. Once video
// came from the URL, it is a camera, and its errors are shown in full.
//
// What remains: the time a camera takes to fail (a closed port fails at
// once, a filtered one at connect_timeout) shows in last_error_at. The admin
// token is trusted with the cameras' addresses; the read token cannot
// change any.
func publicLastError(st pipeline.CameraStats) string {
	return publicError(st.LastError, st.URL, st.FramesIn)
}

// publicError is the error of a camera stream at url that gave frames
// pictures so far, as the API shows it (see publicLastError): the main
// stream's, or the camera's own sub stream's (sub_url), which can point
// anywhere as well.
func publicError(err, url string, frames uint64) string {
	if err == "" || frames > 0 || strings.Contains(err, "bad status code: ") {
		return err
	}
	return "no RTSP camera answered at " + conf.HostPort(url) + " (not reachable, or not an RTSP server); camgate's log has the details"
}
