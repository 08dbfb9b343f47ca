package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import java.util.List;

/** What a client asked for once the handshake is through: the module, who logged in, and its arguments. */
public record ModuleRequest(ModuleConf module, String user, int protocol, List<String> args) {
}
