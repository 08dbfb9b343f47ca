package io.camelrsync.client;

import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Where the daemon password comes from: --password-file, then RSYNC_PASSWORD (authenticate.c getpassf). */
public final class Password {
    private Password() {
    }

    public static String resolve(PushOptions o) throws RsyncException {
        if (o.passwordFile != null) {
            return fromFile(o.passwordFile);
        }
        if (o.password != null) {
            return o.password;
        }
        return System.getenv("RSYNC_PASSWORD");
    }

    static String fromFile(Path file) throws RsyncException {
        try {
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                throw new RsyncException(ExitCode.SYNTAX, "ERROR: password file " + file
                        + " is a symbolic link; give the real file");
            }
            Set<PosixFilePermission> p = a.permissions();
            if (p.contains(PosixFilePermission.OTHERS_READ) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new RsyncException(ExitCode.SYNTAX, "ERROR: password file must not be other-accessible"
                        + " (run: chmod 600 " + file + ")");
            }
            if ("root".equals(System.getProperty("user.name")) && !"root".equals(a.owner().getName())) {
                throw new RsyncException(ExitCode.SYNTAX,
                        "ERROR: password file must be owned by root when running as root (" + file + ")");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            String line = nl < 0 ? text : text.substring(0, nl);
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        } catch (RsyncException e) {
            throw e;
        } catch (IOException e) {
            throw new RsyncException(ExitCode.SYNTAX, "ERROR: could not read password file " + file + ": "
                    + e.getMessage(), e);
        }
    }
}
