package io.camelrsync.flist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * uid/gid to name, looked up once per id (through the JDK, so NSS sources such as LDAP count), in order of
 * first use: the order rsync sends its id lists in (uidlist.c).
 */
public final class IdNames {
    private final Map<Integer, String> users = new LinkedHashMap<>();
    private final Map<Integer, String> groups = new LinkedHashMap<>();
    private final Map<Integer, String> userCache = new HashMap<>();
    private final Map<Integer, String> groupCache = new HashMap<>();

    /** Records the owner and group of an entry (reading the names from its file the first time an id appears). */
    public void note(FileEntry e, boolean users, boolean groups) {
        if (users && !this.users.containsKey(e.uid)) {
            this.users.put(e.uid, userCache.computeIfAbsent(e.uid, id -> lookup(e, true)));
        }
        if (groups && !this.groups.containsKey(e.gid)) {
            this.groups.put(e.gid, groupCache.computeIfAbsent(e.gid, id -> lookup(e, false)));
        }
    }

    public Map<Integer, String> users() {
        return users;
    }

    public Map<Integer, String> groups() {
        return groups;
    }

    private static String lookup(FileEntry e, boolean user) {
        try {
            PosixFileAttributes a = Files.readAttributes(e.source, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            String name = user ? a.owner().getName() : a.group().getName();
            // The JDK falls back to the number when the id has no name.
            return name.chars().allMatch(Character::isDigit) ? null : name;
        } catch (IOException | UnsupportedOperationException ex) {
            return null;
        }
    }
}
