package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.receiver.LocalIds;
import io.camelrsync.receiver.Ownership;
import java.io.IOException;

/**
 * Whom a module's files belong to: rsync switches to the module's "uid" and "gid" (default nobody and that
 * user's group when the daemon runs as root) for the whole session. One JVM serves every module, so instead of
 * switching user we give every entry the session creates to that user and group; only a module that runs as
 * root keeps the owners the client sends (-o, -g). A daemon not started as root leaves ownership alone. The
 * receiving role applies it as its {@link Ownership}.
 */
final class ModuleIdentity {
    private ModuleIdentity() {
    }

    /** @throws IOException naming the parameter when the module's uid or gid does not exist here */
    static Ownership of(ModuleConf module) throws IOException {
        if (!Ownership.jvmIsRoot()) {
            return new Ownership(false, -1, -1);
        }
        String uid = module.uid() == null || module.uid().isBlank() ? "nobody" : module.uid().strip();
        String gid = module.gid() == null || module.gid().isBlank() ? null : module.gid().strip();
        if (uid.equals("root") || uid.equals("0")) {
            return new Ownership(true, -1, gid == null || gid.equals("root") || gid.equals("0") ? -1
                    : lookupGroup(gid, module));
        }
        Integer user = id(uid, LocalIds.get().user(uid));
        if (user == null) {
            throw new IOException("uid \"" + uid + "\" of module " + module.name() + " is not a user here");
        }
        Integer group = gid == null ? LocalIds.get().primaryGroup(uid) : Integer.valueOf(lookupGroup(gid, module));
        return new Ownership(false, user, group == null ? -1 : group);
    }

    /** A number stands for itself, as rsync takes "uid = 65534". */
    private static Integer id(String value, Integer byName) {
        if (byName != null) {
            return byName;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static int lookupGroup(String gid, ModuleConf module) throws IOException {
        Integer g = id(gid, LocalIds.get().group(gid));
        if (g == null) {
            throw new IOException("gid \"" + gid + "\" of module " + module.name() + " is not a group here");
        }
        return g;
    }
}
