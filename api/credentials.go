package api

import (
	"encoding/json"
	"errors"

	"github.com/camgate/camgate/conf"
)

// bindStoredCredentials checks a camera's settings sent to the API against
// the credentials camgate stores for it, so that they never leave for a host
// they were not given for. The body's own user and password (or the ones in
// its URL) go wherever the body says: their sender knows them.
//
//   - password_file is refused: from an API client, a path would make camgate
//     read any file it can read (its environment file, another camera's
//     password) and send it to a host of the client's choosing as a
//     password. Confining it to a secrets folder would still let a client
//     send one camera's secret to another host. Only the configuration file,
//     written by the machine's owner, names secret files.
//   - The environment's CAMGATE_CAMERA_<NAME>_USER and _PASSWORD are bound to
//     the host:port of the camera's URL in the configuration. When the body
//     points the camera elsewhere (or creates it), camgate writes
//     env_credentials: false into its section: they are not attached, now
//     nor at the next start, until the owner edits the file.
func bindStoredCredentials(e *conf.Editor, name string, fields map[string]json.RawMessage) error {
	if _, ok := fields["password_file"]; ok {
		return errors.New("password_file: not accepted through the API (an API client must not make camgate read files); name it in the configuration file, or send user and password")
	}
	off := false
	if raw, ok := fields["env_credentials"]; ok {
		var on bool
		if err := json.Unmarshal(raw, &on); err != nil {
			return errors.New("env_credentials: true or false")
		}
		delete(fields, "env_credentials") // camgate decides when they may be on
		off = !on
	}
	if !off && conf.HasEnvCredentials(name) {
		url := conf.EnvCameraURL(name) // wins over the body's
		if url == "" {
			_ = json.Unmarshal(fields["url"], &url)
		}
		bound := e.EnvCredentialsHost(name)
		off = bound == "" || conf.HostPort(url) != bound
	}
	if off {
		fields["env_credentials"] = json.RawMessage("false")
	}
	return nil
}
