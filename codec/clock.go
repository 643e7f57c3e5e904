package codec

import "time"

// VideoClockRate is the RTP clock of video (RFC 6184, RFC 7798), which
// camgate also uses as the time base of its encoders.
const VideoClockRate = 90000

// Ticks converts a duration to ticks of a clock of rate Hz, to the nearest
// tick, so that Ticks(Duration(t, r), r) == t. It cannot overflow for any
// duration: seconds and the rest are converted apart (d * rate in
// nanoseconds would overflow after 28 hours at 90 kHz).
func Ticks(d time.Duration, rate int) int64 {
	sec, rest := d/time.Second, d%time.Second
	if rest < 0 {
		sec, rest = sec-1, rest+time.Second
	}
	return int64(sec)*int64(rate) + (int64(rest)*int64(rate)+int64(time.Second)/2)/int64(time.Second)
}

// Duration converts ticks of a clock of rate Hz to a duration, rounding
// toward zero. It cannot overflow for tick counts up to 2^63/rate seconds'
// worth, which is more than a duration holds anyway.
func Duration(ticks int64, rate int) time.Duration {
	r := int64(rate)
	sec, rest := ticks/r, ticks%r
	return time.Duration(sec)*time.Second + time.Duration(rest*int64(time.Second)/r)
}

// RTPTimestamp returns the 32-bit RTP timestamp of a time on a stream's time
// line, for a session whose timestamps start at base. RTP time wraps every
// 2^32 ticks (13.25 hours at 90 kHz), as every reader expects; the ticks are
// counted in 64 bits first, so nothing but that wrap ever happens, however
// long the stream has run.
func RTPTimestamp(base uint32, d time.Duration, rate int) uint32 {
	return base + uint32(Ticks(d, rate))
}
