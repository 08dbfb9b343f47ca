package io.camelrsync.flist;

import java.util.ArrayList;
import java.util.List;

/**
 * rsync's chmod strings (chmod.c; rsyncd.conf "incoming chmod", --chmod): comma-separated items, each
 * optionally limited to directories ("D") or files ("F"), either an octal mode or who ([ugoa]) plus an
 * operator (+, -, =) and permissions (rwxXst). "X" adds execute only to directories and to files that already
 * have an execute bit. Without a who, the bits apply to everyone minus the usual umask 022.
 */
public final class ChmodRules {
    private static final int CHMOD_BITS = 07777;
    private static final int DEFAULT_UMASK = 022;

    private record Item(boolean dirsOnly, boolean filesOnly, int and, int or, boolean keepX) {
    }

    private final List<Item> items;

    private ChmodRules(List<Item> items) {
        this.items = items;
    }

    public boolean isEmpty() {
        return items.isEmpty();
    }

    /** Parses a chmod string; throws IllegalArgumentException naming the item that does not parse. */
    public static ChmodRules parse(String spec) {
        List<Item> items = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return new ChmodRules(items);
        }
        for (String raw : spec.split(",", -1)) {
            items.add(item(raw.strip(), spec));
        }
        return new ChmodRules(List.copyOf(items));
    }

    private static Item item(String s, String spec) {
        int i = 0;
        boolean dirs = false;
        boolean files = false;
        for (; i < s.length() && (s.charAt(i) == 'D' || s.charAt(i) == 'F'); i++) {
            dirs |= s.charAt(i) == 'D';
            files |= s.charAt(i) == 'F';
        }
        if (dirs && files) {
            throw bad(s, spec);
        }
        if (i < s.length() && Character.isDigit(s.charAt(i))) {
            int mode;
            try {
                mode = Integer.parseInt(s.substring(i), 8);
            } catch (NumberFormatException e) {
                throw bad(s, spec);
            }
            if (mode > CHMOD_BITS) {
                throw bad(s, spec);
            }
            return new Item(dirs, files, 0, mode, false);
        }
        int who = 0;
        int top = 0;
        for (; i < s.length() && "ugoa".indexOf(s.charAt(i)) >= 0; i++) {
            switch (s.charAt(i)) {
                case 'u' -> { who |= 0100; top |= 04000; }
                case 'g' -> { who |= 0010; top |= 02000; }
                case 'o' -> who |= 0001;
                default -> { who |= 0111; top |= 06000; }
            }
        }
        if (i >= s.length() || "+-=".indexOf(s.charAt(i)) < 0) {
            throw bad(s, spec);
        }
        char op = s.charAt(i++);
        int what = 0;
        int topOct = 0;
        boolean keepX = false;
        for (; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case 'r' -> what |= 4;
                case 'w' -> what |= 2;
                case 'x' -> what |= 1;
                case 'X' -> { what |= 1; keepX = true; }
                case 's' -> topOct |= top != 0 ? top : 04000;
                case 't' -> topOct |= 01000;
                default -> throw bad(s, spec);
            }
        }
        boolean whoGiven = who != 0;
        int bits = whoGiven ? who * what : (0111 * what) & ~DEFAULT_UMASK;
        int where = whoGiven ? who : 0111;
        return switch (op) {
            case '+' -> new Item(dirs, files, CHMOD_BITS, bits | topOct, keepX);
            case '-' -> new Item(dirs, files, CHMOD_BITS & ~(bits | topOct), 0, keepX);
            default -> new Item(dirs, files, CHMOD_BITS & ~(where * 7) & ~(topOct != 0 ? top : 0), bits | topOct,
                    keepX);
        };
    }

    private static IllegalArgumentException bad(String item, String spec) {
        return new IllegalArgumentException("invalid chmod item \"" + item + "\" in \"" + spec
                + "\" (expected e.g. Dg+s,ug+w,Fo-w,+X or D755,F644)");
    }

    /** The mode after the rules; the file-type bits are kept. */
    public int apply(int mode) {
        boolean dir = (mode & FileEntry.S_IFMT) == FileEntry.S_IFDIR;
        boolean hadX = (mode & 0111) != 0;
        int type = mode & ~CHMOD_BITS;
        int m = mode & CHMOD_BITS;
        for (Item it : items) {
            if ((it.dirsOnly() && !dir) || (it.filesOnly() && dir)) {
                continue;
            }
            m &= it.and();
            m |= it.keepX() && !hadX && !dir ? it.or() & ~0111 : it.or();
        }
        return m | type;
    }
}
