package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/camgate/camgate/rtsp/fakecam"
)

// prepareClips makes sure the fake cameras can play -clip (re-encoding it
// to H.264 Annex B if it is not a raw Annex-B stream) and, with
// -camera-sub, makes the cameras' own sub stream from it. Both are made once
// with the ffmpeg program and cached.
func prepareClips(o *options) error {
	if err := annexB(o.clip); err != nil {
		fps := strconv.Itoa(o.clipFPS)
		conv, err2 := cachedClip(o, o.clip, "annexb", []string{"-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
			"-g", strconv.Itoa(2 * o.clipFPS), "-bf", "0", "-pix_fmt", "yuv420p", "-r", fps, "-fps_mode", "cfr"}, false)
		if err2 != nil {
			return fmt.Errorf("-clip %s is not raw Annex-B H.264/H.265 (%v), and re-encoding it failed: %w", o.clip, err, err2)
		}
		o.userClip, o.clip = o.clip, conv
	}
	if !o.cameraSub {
		return nil
	}
	sub, err := cachedClip(o, o.clip, "sub", []string{"-an", "-vf", fmt.Sprintf("fps=%d,scale=%d:%d:flags=area", subFPS, subWidth, subHeight),
		"-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main",
		"-b:v", "512k", "-maxrate", "512k", "-bufsize", "512k", "-g", "20", "-bf", "0"}, true)
	if err != nil {
		return fmt.Errorf("-camera-sub: making the sub stream's clip: %w", err)
	}
	o.subClip = sub
	return nil
}

// annexB says whether the fake cameras play the file as it is: a raw
// Annex-B stream (which starts with a start code: a container that merely
// holds some start codes does not) beginning with a keyframe.
func annexB(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	head := make([]byte, 4)
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !(bytes.HasPrefix(head, []byte{0, 0, 1}) || bytes.Equal(head, []byte{0, 0, 0, 1})) {
		return errors.New("no start code at its beginning")
	}
	_, err = fakecam.LoadClip(path)
	return err
}

// cachedClip returns a raw H.264 file that the ffmpeg program makes from in
// with args, made once and kept in the user's cache folder under a name from
// the input's content and the arguments. raw says the input is a raw
// stream, whose frame rate is then given.
func cachedClip(o *options, in, kind string, args []string, raw bool) (string, error) {
	program, err := o.ffmpegProgram()
	if err != nil {
		return "", err
	}
	var inArgs []string
	if raw {
		inArgs = []string{"-framerate", strconv.Itoa(o.clipFPS)}
	}
	inArgs = append(inArgs, "-i", in)
	f, err := os.Open(in)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	fmt.Fprint(sum, strings.Join(inArgs[:len(inArgs)-1], " "), strings.Join(args, " "))
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "camgate", "vsprocs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%s.h264", kind, hex.EncodeToString(sum.Sum(nil))[:16]))
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	tmp := out + ".tmp"
	cmd := append([]string{"-nostdin", "-hide_banner", "-v", "error", "-y"}, inArgs...)
	cmd = append(append(cmd, args...), "-f", "h264", tmp)
	fmt.Printf("vsprocs: making %s from %s: ffmpeg %s\n", out, in, strings.Join(cmd, " "))
	c := exec.Command(program, cmd...)
	c.Stderr = os.Stderr
	if err := c.Run(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := annexB(tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return out, os.Rename(tmp, out)
}
