package io.camelrsync.flist;

import io.camelrsync.fs.Names;
import io.camelrsync.protocol.WireOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Encodes file-list entries as flist.c send_file_entry does for protocols 30..32, without incremental
 * recursion: each entry only carries what differs from the previous one.
 */
public final class FileListWriter {
    /**
     * Which attributes travel, from -o -g -D -H -l -c and the negotiated protocol; without {@code links} a symlink
     * is listed without its target (flist.c send_file_entry: preserve_links), and the receiver skips it; with
     * {@code checksumLength} (-c) each regular file carries its whole-file checksum.
     */
    public record Options(int protocol, boolean varintFlags, boolean uids, boolean gids, boolean devices,
                          boolean specials, boolean hardLinks, boolean id0Names, boolean links, int checksumLength) {
        public Options(int protocol, boolean varintFlags, boolean uids, boolean gids, boolean devices,
                       boolean specials, boolean hardLinks, boolean id0Names, boolean links) {
            this(protocol, varintFlags, uids, gids, devices, specials, hardLinks, id0Names, links, 0);
        }

        public Options(int protocol, boolean varintFlags, boolean uids, boolean gids, boolean devices,
                       boolean specials, boolean hardLinks, boolean id0Names) {
            this(protocol, varintFlags, uids, gids, devices, specials, hardLinks, id0Names, true);
        }
    }

    private final WireOutput out;
    private final Options o;
    private final IdNames ids = new IdNames();
    private final Map<Long, Map<Long, Integer>> firstLinkIndex = new HashMap<>();
    private byte[] lastName = new byte[0];
    private int lastMode = 0;
    private long lastMtime = 0;
    private int lastUid = 0;
    private int lastGid = 0;
    private long lastRdevMajor = -1;
    private int count;

    public FileListWriter(WireOutput out, Options o) {
        this.out = out;
        this.o = o;
    }

    public void write(FileEntry e) throws IOException {
        write(e, null);
    }

    /**
     * One entry; {@code checksum} is a regular file's whole-file checksum for -c (null: unreadable, sent as
     * zeros, as file_checksum leaves it).
     */
    public void write(FileEntry e, byte[] checksum) throws IOException {
        int ndx = count++;
        int xflags;
        if (e.isDirectory()) {
            if (e.isContentDir()) {
                xflags = e.isTopDir() ? Xmit.TOP_DIR : 0;
            } else {
                xflags = Xmit.NO_CONTENT_DIR;
            }
        } else {
            xflags = 0;
        }
        int mode = e.mode;
        if (mode == lastMode) {
            xflags |= Xmit.SAME_MODE;
        } else {
            lastMode = mode;
        }
        long rdevMajor = 0;
        long rdevMinor = 0;
        boolean sendRdev = false;
        if (o.devices && e.isDevice()) {
            rdevMajor = major(e.rdev);
            rdevMinor = minor(e.rdev);
            sendRdev = true;
            if (rdevMajor == lastRdevMajor) {
                xflags |= Xmit.SAME_RDEV_MAJOR;
            } else {
                lastRdevMajor = rdevMajor;
            }
        } else if (o.specials && e.isSpecial() && o.protocol < 31) {
            // protocol 30 carries a dummy rdev for FIFOs and sockets
            sendRdev = true;
            rdevMajor = lastRdevMajor;
            xflags |= Xmit.SAME_RDEV_MAJOR;
        }
        boolean first = lastName.length == 0;
        if (!o.uids || (e.uid == lastUid && !first)) {
            xflags |= Xmit.SAME_UID;
        } else {
            lastUid = e.uid;
        }
        if (!o.gids || (e.gid == lastGid && !first)) {
            xflags |= Xmit.SAME_GID;
        } else {
            lastGid = e.gid;
        }
        ids.note(e, o.uids, o.gids);
        if (e.mtime == lastMtime) {
            xflags |= Xmit.SAME_TIME;
        } else {
            lastMtime = e.mtime;
        }
        if (e.mtimeNsec != 0 && o.protocol >= 31) {
            xflags |= Xmit.MOD_NSEC;
        }
        int firstLink = -1;
        if (o.hardLinks && e.nlink > 1 && !e.isDirectory()) {
            Map<Long, Integer> byIno = firstLinkIndex.computeIfAbsent(e.dev, d -> new HashMap<>());
            Integer seen = byIno.putIfAbsent(e.ino, ndx);
            if (seen == null) {
                xflags |= Xmit.HLINK_FIRST;
            } else {
                firstLink = seen;
            }
            xflags |= Xmit.HLINKED;
        }
        byte[] name = e.name;
        int l1 = 0;
        while (l1 < lastName.length && l1 < name.length && l1 < 255 && name[l1] == lastName[l1]) {
            l1++;
        }
        int l2 = name.length - l1;
        if (l1 > 0) {
            xflags |= Xmit.SAME_NAME;
        }
        if (l2 > 255) {
            xflags |= Xmit.LONG_NAME;
        }
        if (o.varintFlags) {
            out.writeVarint(xflags != 0 ? xflags : Xmit.EXTENDED_FLAGS);
        } else {
            if (xflags == 0 && !e.isDirectory()) {
                xflags |= Xmit.TOP_DIR;
            }
            if ((xflags & 0xff00) != 0 || xflags == 0) {
                xflags |= Xmit.EXTENDED_FLAGS;
                out.writeShortInt(xflags);
            } else {
                out.writeByte(xflags);
            }
        }
        if ((xflags & Xmit.SAME_NAME) != 0) {
            out.writeByte(l1);
        }
        if ((xflags & Xmit.LONG_NAME) != 0) {
            out.writeVarint(l2);
        } else {
            out.writeByte(l2);
        }
        out.write(name, l1, l2);
        lastName = name;

        if (firstLink >= 0) {
            // Abbreviated entry: the receiver copies everything else from the group's first member.
            out.writeVarint(firstLink);
            return;
        }
        out.writeVarlong(e.size, 3);
        if ((xflags & Xmit.SAME_TIME) == 0) {
            out.writeVarlong(e.mtime, 4);
        }
        if ((xflags & Xmit.MOD_NSEC) != 0) {
            out.writeVarint(e.mtimeNsec);
        }
        if ((xflags & Xmit.SAME_MODE) == 0) {
            out.writeInt(mode);
        }
        if (o.uids && (xflags & Xmit.SAME_UID) == 0) {
            out.writeVarint(e.uid);
        }
        if (o.gids && (xflags & Xmit.SAME_GID) == 0) {
            out.writeVarint(e.gid);
        }
        if (sendRdev) {
            if ((xflags & Xmit.SAME_RDEV_MAJOR) == 0) {
                out.writeVarint((int) rdevMajor);
            }
            out.writeVarint((int) rdevMinor);
        }
        if (e.isSymlink() && o.links()) {
            out.writeVarint(e.linkTarget.length);
            out.write(e.linkTarget);
        }
        if (o.checksumLength > 0 && e.isRegular()) {
            out.write(checksum != null ? checksum : new byte[o.checksumLength]);
        }
    }

    /** The end-of-list marker, carrying io_error where the peer can take it there. */
    public void writeEnd(int ioError, boolean safeFlist) throws IOException {
        if (o.varintFlags) {
            out.writeVarint(0);
            out.writeVarint(safeFlist ? ioError : 0);
        } else if (ioError != 0 && safeFlist) {
            out.writeShortInt(Xmit.EXTENDED_FLAGS | Xmit.IO_ERROR_ENDLIST);
            out.writeVarint(ioError);
        } else {
            out.writeByte(0);
        }
    }

    /** uid and gid name lists (uidlist.c send_id_lists), sent after the list when names are not numeric. */
    public void writeIdLists() throws IOException {
        if (o.uids) {
            writeIdList(ids.users());
        }
        if (o.gids) {
            writeIdList(ids.groups());
        }
    }

    private void writeIdList(Map<Integer, String> names) throws IOException {
        for (Map.Entry<Integer, String> id : names.entrySet()) {
            if (id.getKey() != 0 && id.getValue() != null) {
                writeName(id.getKey(), id.getValue());
            }
        }
        if (o.id0Names) {
            String id0 = names.get(0); // the local name of id 0, when an entry used it
            writeName(0, id0 != null ? id0 : "root");
        } else {
            out.writeVarint(0);
        }
    }

    private void writeName(int id, String name) throws IOException {
        byte[] b = Names.encode(name); // the name's own bytes, as rsync sends them
        int len = Math.min(b.length, 255);
        out.writeVarint(id);
        out.writeByte(len);
        out.write(b, 0, len);
    }

    public int count() {
        return count;
    }

    static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }
}
