package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import java.util.List;

/**
 * What a client asked for once the handshake is through: the module, who logged in, and its arguments.
 * {@code readOnly} is the module's "read only" unless the user's "auth users" entry says ":ro" or ":rw".
 */
public record ModuleRequest(ModuleConf module, String user, int protocol, List<String> args, boolean readOnly) {
    public ModuleRequest(ModuleConf module, String user, int protocol, List<String> args) {
        this(module, user, protocol, args, module.readOnly());
    }
}
