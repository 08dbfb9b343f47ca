package io.camelrsync.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * User and group names of this machine from /etc/passwd and /etc/group, read once: the receiver maps the
 * client's names to local ids per file, and a lookup per file would cost a passwd scan each time. Names found
 * only through other NSS sources are still set by name, just without this shortcut.
 */
final class LocalIds {
    private static volatile LocalIds loaded;

    private final Map<String, Integer> users;
    private final Map<String, Integer> groups;

    private LocalIds(Map<String, Integer> users, Map<String, Integer> groups) {
        this.users = users;
        this.groups = groups;
    }

    static LocalIds get() {
        LocalIds l = loaded;
        if (l == null) {
            l = new LocalIds(read(Path.of("/etc/passwd")), read(Path.of("/etc/group")));
            loaded = l;
        }
        return l;
    }

    Integer user(String name) {
        return users.get(name);
    }

    Integer group(String name) {
        return groups.get(name);
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
