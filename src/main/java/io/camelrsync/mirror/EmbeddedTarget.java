package io.camelrsync.mirror;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded default: ./data/source mirrored into ./data/mirror through our own daemon on loopback. Creates both
 * directories and, on first run, an rsyncd.conf for the daemon that the operator may then edit.
 */
public final class EmbeddedTarget {
    private EmbeddedTarget() {
    }

    /** Prepares the directories and the daemon's config; returns the line telling the user where files go. */
    public static String prepare(Map<String, String> settings) throws IOException {
        Path source = Path.of(settings.get("mirror.source")).toAbsolutePath().normalize();
        Path mirror = Path.of(settings.get("mirror.daemon.path")).toAbsolutePath().normalize();
        Path config = Path.of(settings.get("mirror.daemon.config")).toAbsolutePath().normalize();
        if (settings.keySet().stream().noneMatch(k -> k.startsWith("mirror.syncs["))) {
            Files.createDirectories(source); // the embedded default's drop box; syncs name sources that exist
        }
        Files.createDirectories(mirror);
        if (!Files.exists(config)) {
            Files.createDirectories(config.getParent());
            boolean root = "root".equals(System.getProperty("user.name"));
            Files.writeString(config, "# Written by camel-rsync mirror for its embedded default target; edit freely.\n"
                    + "use chroot = no\n"
                    + "\n[mirror]\n"
                    + "    path = " + mirror + "\n"
                    + "    comment = the embedded mirror target\n"
                    + "    read only = no\n"
                    // a mirror keeps symlinks as they are; safe here: the daemon never follows one it stored
                    + "    munge symlinks = no\n"
                    // as root, a module writes as nobody unless told otherwise; keep the files' owners instead
                    + (root ? "    uid = root\n    gid = root\n" : ""));
        }
        if (settings.keySet().stream().anyMatch(k -> k.startsWith("mirror.syncs["))) {
            return "camel-rsync mirror: our daemon on " + settings.get("mirror.daemon.address") + ":"
                    + settings.get("mirror.daemon.port") + " serves the modules of " + config;
        }
        return "camel-rsync mirror: drop files into " + source + " - they appear in " + mirror + " (our daemon on "
                + settings.get("mirror.daemon.address") + ":" + settings.get("mirror.daemon.port") + ", module"
                + " mirror, configured by " + config + ")";
    }
}
