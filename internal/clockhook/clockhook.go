// Package clockhook lets camgate's own tests start the clocks that a box
// reaches only after days or years of uptime where they choose: a test
// cannot wait 28 hours for a timestamp to overflow, or 13 hours for a 32-bit
// RTP clock to wrap. Production code never sets anything here: every value
// is nil or zero, and then the clocks are the usual ones.
package clockhook

// RTPBase, when set, gives the first RTP timestamp of each reader's session
// (a random one otherwise, as RFC 3550 asks), so that a test can place the
// reader's 32-bit wrap. Set it before readers connect; it is read without a
// lock.
var RTPBase func() uint32
