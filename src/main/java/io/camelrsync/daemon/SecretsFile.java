package io.camelrsync.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Optional;

/** A module's "secrets file": lines of user:password (authenticate.c check_secret). */
final class SecretsFile {
    private SecretsFile() {
    }

    /**
     * The passwords that may log {@code user} in: its own line and, when it got in through an "@group" entry
     * of "auth users", that group's "@group:password" line (authenticate.c check_secret).
     */
    static java.util.List<String> passwordsFor(Path file, String user, String group, boolean strictModes)
            throws IOException {
        java.util.List<String> found = new java.util.ArrayList<>();
        passwordFor(file, user, strictModes).ifPresent(found::add);
        if (group != null) {
            passwordFor(file, "@" + group, strictModes).ifPresent(found::add);
        }
        return found;
    }

    /**
     * The password for {@code user}; empty when the file has no line for it.
     *
     * @throws IOException when the file cannot be used, with the reason (missing, other-readable under strict
     *                     modes, not owned by root when we run as root, a symlink)
     */
    static Optional<String> passwordFor(Path file, String user, boolean strictModes) throws IOException {
        PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
            throw new IOException("secrets file " + file + " is a symbolic link");
        }
        if (strictModes) {
            if (a.permissions().contains(PosixFilePermission.OTHERS_READ)) {
                throw new IOException("secrets file " + file + " must not be other-accessible (see strict modes"
                        + " option); run: chmod 600 " + file);
            }
            if ("root".equals(System.getProperty("user.name")) && !"root".equals(a.owner().getName())) {
                throw new IOException("secrets file " + file + " must be owned by root when running as root"
                        + " (see strict modes)");
            }
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).equals(user)) {
                return Optional.of(l.substring(colon + 1));
            }
        }
        return Optional.empty();
    }
}
