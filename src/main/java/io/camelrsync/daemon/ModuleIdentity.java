package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;

/**
 * Whom a module's files belong to: rsync switches to the module's "uid" and "gid" (default nobody and that
 * user's group when the daemon runs as root) for the whole session. One JVM serves every module, so instead of
 * switching user we give every entry the session creates to that user and group; only a module that runs as
 * root keeps the owners the client sends (-o, -g). A daemon not started as root leaves ownership alone.
 */
final class ModuleIdentity {
    private static final boolean JVM_IS_ROOT = "root".equals(System.getProperty("user.name"));

    private final boolean preservesOwnership;
    private final UserPrincipal user;
    private final GroupPrincipal group;

    private ModuleIdentity(boolean preservesOwnership, UserPrincipal user, GroupPrincipal group) {
        this.preservesOwnership = preservesOwnership;
        this.user = user;
        this.group = group;
    }

    /** @throws IOException naming the parameter when the module's uid or gid does not exist here */
    static ModuleIdentity of(ModuleConf module) throws IOException {
        if (!JVM_IS_ROOT) {
            return new ModuleIdentity(false, null, null);
        }
        String uid = module.uid() == null || module.uid().isBlank() ? "nobody" : module.uid().strip();
        String gid = module.gid() == null || module.gid().isBlank() ? null : module.gid().strip();
        if (uid.equals("root") || uid.equals("0")) {
            return new ModuleIdentity(true, null, gid == null || gid.equals("root") || gid.equals("0") ? null
                    : lookupGroup(gid, module));
        }
        UserPrincipalLookupService lookup = Path.of("/").getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user;
        try {
            user = lookup.lookupPrincipalByName(uid);
        } catch (IOException e) {
            throw new IOException("uid \"" + uid + "\" of module " + module.name() + " is not a user here", e);
        }
        return new ModuleIdentity(false, user, gid == null ? primaryGroup(user) : lookupGroup(gid, module));
    }

    boolean preservesOwnership() {
        return preservesOwnership;
    }

    /** Whether new entries change owner after creation (so they do not all start alike). */
    boolean claimsFiles() {
        return user != null || group != null;
    }

    /** Gives a freshly created entry to the module's user and group (no-op when the session runs as root). */
    void claim(Path p) throws IOException {
        if (user == null && group == null) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (user != null) {
            view.setOwner(user);
        }
        if (group != null) {
            view.setGroup(group);
        }
    }

    private static GroupPrincipal lookupGroup(String gid, ModuleConf module) throws IOException {
        try {
            return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(gid);
        } catch (IOException e) {
            throw new IOException("gid \"" + gid + "\" of module " + module.name() + " is not a group here", e);
        }
    }

    /** The user's login group, from the passwd database through getent (covers NSS sources too). */
    private static GroupPrincipal primaryGroup(UserPrincipal user) throws IOException {
        Process p = new ProcessBuilder("getent", "passwd", user.getName()).redirectErrorStream(true).start();
        String line = new String(p.getInputStream().readAllBytes()).strip();
        String[] f = line.split(":");
        if (f.length < 4) {
            return null;
        }
        Process g = new ProcessBuilder("getent", "group", f[3]).redirectErrorStream(true).start();
        String[] gf = new String(g.getInputStream().readAllBytes()).strip().split(":");
        return gf.length < 3 ? null
                : Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(gf[0]);
    }
}
