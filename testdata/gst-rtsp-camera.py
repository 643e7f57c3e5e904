#!/usr/bin/python3
"""A camera made of GStreamer's RTSP server (gst-rtsp-server), for interop
tests: an RTSP implementation nobody in this project wrote, unlike the fake
camera of rtsp/rtsptest, which is built on gortsplib as camgate is.

Usage: gst-rtsp-camera.py PORT
Serves a live 1280x720 25 fps H.264 test picture (x264, a keyframe every 2 s,
SPS/PPS before each) at rtsp://127.0.0.1:PORT/cam, over TCP and UDP. Prints
"ready" once listening; runs until killed.

(A raw .h264 file through multifilesrc would be lighter, but GStreamer then
sends every picture with the same RTP timestamp: a broken camera, which
rtsptest's FreezeClock covers on purpose.)
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=ball"
    " ! video/x-raw,width=1280,height=720,framerate=25/1"
    " ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=50 bitrate=2000"
    " ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
# One pipeline per client, as many cameras run one encoder per session: a
# shared media in gst-rtsp-server 1.22 sometimes answers 503 for good once two
# clients set it up at the same moment, one over UDP.
factory.set_shared(False)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit("cannot listen on 127.0.0.1:%s" % port)
print("ready", flush=True)
GLib.MainLoop().run()
