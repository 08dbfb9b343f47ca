package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import java.io.IOException;

/**
 * Whom a module's files belong to: rsync switches to the module's "uid" and "gid" (default nobody and that
 * user's group when the daemon runs as root) for the whole session. One JVM serves every module, so instead of
 * switching user we give every entry the session creates to that user and group; only a module that runs as
 * root keeps the owners the client sends (-o, -g). A daemon not started as root leaves ownership alone.
 */
final class ModuleIdentity {
    private static final boolean JVM_IS_ROOT = "root".equals(System.getProperty("user.name"));

    private final boolean preservesOwnership;
    /** The module's uid and gid for new entries, or -1 to leave that id as the creating process made it. */
    private final int uid;
    private final int gid;

    private ModuleIdentity(boolean preservesOwnership, int uid, int gid) {
        this.preservesOwnership = preservesOwnership;
        this.uid = uid;
        this.gid = gid;
    }

    /** @throws IOException naming the parameter when the module's uid or gid does not exist here */
    static ModuleIdentity of(ModuleConf module) throws IOException {
        if (!JVM_IS_ROOT) {
            return new ModuleIdentity(false, -1, -1);
        }
        String uid = module.uid() == null || module.uid().isBlank() ? "nobody" : module.uid().strip();
        String gid = module.gid() == null || module.gid().isBlank() ? null : module.gid().strip();
        if (uid.equals("root") || uid.equals("0")) {
            return new ModuleIdentity(true, -1, gid == null || gid.equals("root") || gid.equals("0") ? -1
                    : lookupGroup(gid, module));
        }
        Integer user = id(uid, LocalIds.get().user(uid));
        if (user == null) {
            throw new IOException("uid \"" + uid + "\" of module " + module.name() + " is not a user here");
        }
        Integer group = gid == null ? LocalIds.get().primaryGroup(uid) : Integer.valueOf(lookupGroup(gid, module));
        return new ModuleIdentity(false, user, group == null ? -1 : group);
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

    boolean preservesOwnership() {
        return preservesOwnership;
    }

    /** Whether new entries change owner after creation (so they do not all start alike). */
    boolean claimsFiles() {
        return uid >= 0 || gid >= 0;
    }

    int uid() {
        return uid;
    }

    int gid() {
        return gid;
    }

    private static int lookupGroup(String gid, ModuleConf module) throws IOException {
        Integer g = id(gid, LocalIds.get().group(gid));
        if (g == null) {
            throw new IOException("gid \"" + gid + "\" of module " + module.name() + " is not a group here");
        }
        return g;
    }
}
