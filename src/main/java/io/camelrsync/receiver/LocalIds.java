package io.camelrsync.receiver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * User and group names of this machine from /etc/passwd and /etc/group, read once: the receiver maps the
 * client's names to local ids per file, and a lookup per file would cost a passwd scan each time. A name not in
 * those files is asked of NSS once through getent(1) (LDAP, sssd...), and the answer, found or not, is kept.
 */
public final class LocalIds {
    private static volatile LocalIds loaded;

    private static final Integer UNKNOWN = Integer.MIN_VALUE;

    private final Map<String, Integer> users;
    private final Map<String, Integer> groups;
    private final Map<String, Integer> nssUsers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> nssGroups = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> primaryGroups = new java.util.concurrent.ConcurrentHashMap<>();

    private LocalIds(Map<String, Integer> users, Map<String, Integer> groups) {
        this.users = users;
        this.groups = groups;
    }

    public static LocalIds get() {
        LocalIds l = loaded;
        if (l == null) {
            l = new LocalIds(read(Path.of("/etc/passwd")), read(Path.of("/etc/group")));
            loaded = l;
        }
        return l;
    }

    /** The uid of a user name here, or null when this machine has no such user. */
    public Integer user(String name) {
        Integer id = users.get(name);
        return id != null ? id : nss(nssUsers, "passwd", name);
    }

    /** The gid of a group name here, or null. */
    public Integer group(String name) {
        Integer id = groups.get(name);
        return id != null ? id : nss(nssGroups, "group", name);
    }

    /** A user's login group (the passwd entry's gid), or null when the user is unknown here. */
    public Integer primaryGroup(String user) {
        Integer gid = primaryGroups.computeIfAbsent(user, u -> {
            String[] f = getent("passwd", u);
            return f == null || f.length < 4 ? UNKNOWN : parse(f[3]);
        });
        return gid.equals(UNKNOWN) ? null : gid;
    }

    private static Integer nss(Map<String, Integer> cache, String database, String name) {
        Integer id = cache.computeIfAbsent(name, n -> {
            String[] f = getent(database, n);
            return f == null || f.length < 3 ? UNKNOWN : parse(f[2]);
        });
        return id.equals(UNKNOWN) ? null : id;
    }

    private static Integer parse(String id) {
        try {
            return Integer.valueOf(id);
        } catch (NumberFormatException e) {
            return UNKNOWN;
        }
    }

    /**
     * The fields of {@code getent DATABASE NAME}, or null when it has no such entry or does not answer within
     * ten seconds (an NSS source such as LDAP that hangs). A name starting with '-' is never passed on as an option.
     */
    private static String[] getent(String database, String name) {
        if (name.isEmpty() || name.startsWith("-") || name.indexOf(':') >= 0) {
            return null;
        }
        try {
            Process p = new ProcessBuilder("getent", database, name).redirectErrorStream(true).start();
            // one line of output fits the pipe, so waiting before reading cannot block the child
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String[] f = out.split(":", -1);
            // getent also looks a number up as an id: take that entry only when the name asked for was the id
            return p.exitValue() == 0 && f.length >= 3 && (f[0].equals(name) || f[2].equals(name)) ? f : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static Map<String, Integer> read(Path file) {
        Map<String, Integer> ids = new HashMap<>();
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : lines) {
                String[] f = line.split(":", 4);
                if (f.length >= 3) {
                    try {
                        ids.putIfAbsent(f[0], Integer.parseInt(f[2]));
                    } catch (NumberFormatException ignored) {
                        // a malformed line names no id
                    }
                }
            }
        } catch (IOException unreadable) {
            // no shortcut: names are looked up one by one
        }
        return Map.copyOf(ids);
    }
}
