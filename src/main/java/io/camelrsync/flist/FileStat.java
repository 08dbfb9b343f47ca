package io.camelrsync.flist;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.Map;

/**
 * lstat() for the file list. The JDK's public "unix:" view builds a map per call, which doubles the cost of
 * scanning a large tree; the same numbers sit in the PosixFileAttributes object it returns, so we read them
 * there when the JVM lets us (the jar's manifest opens sun.nio.fs) and fall back to the map otherwise.
 */
public final class FileStat {
    private static final String ATTRS = "unix:mode,ino,dev,nlink,uid,gid,size,lastModifiedTime,rdev";
    private static final Handles HANDLES = Handles.find();

    private FileStat() {
    }

    static FileEntry of(Path p, String wire) throws IOException {
        int mode;
        long size;
        Instant t;
        int uid;
        int gid;
        long rdev;
        long dev;
        long ino;
        int nlink;
        if (HANDLES != null) {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            try {
                mode = (int) HANDLES.mode.invokeExact((Object) a);
                uid = (int) HANDLES.uid.invokeExact((Object) a);
                gid = (int) HANDLES.gid.invokeExact((Object) a);
                rdev = (long) HANDLES.rdev.invokeExact((Object) a);
                dev = (long) HANDLES.dev.invokeExact((Object) a);
                ino = (long) HANDLES.ino.invokeExact((Object) a);
                nlink = (int) HANDLES.nlink.invokeExact((Object) a);
            } catch (Throwable e) {
                throw new IllegalStateException("reading file attributes of " + p, e);
            }
            size = a.size();
            t = a.lastModifiedTime().toInstant();
        } else {
            Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
            mode = (Integer) a.get("mode");
            uid = (Integer) a.get("uid");
            gid = (Integer) a.get("gid");
            rdev = (Long) a.get("rdev");
            dev = (Long) a.get("dev");
            ino = (Long) a.get("ino");
            nlink = (Integer) a.get("nlink");
            size = (Long) a.get("size");
            t = ((FileTime) a.get("lastModifiedTime")).toInstant();
        }
        int type = mode & FileEntry.S_IFMT;
        byte[] target = null;
        if (type == FileEntry.S_IFLNK) {
            target = RawNames.linkTarget(p, Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
        }
        if (type != FileEntry.S_IFREG && type != FileEntry.S_IFLNK) {
            size = 0;
        }
        return new FileEntry(wire, p, mode, size, t.getEpochSecond(), t.getNano(), uid, gid, rdev, dev, ino, nlink,
                target);
    }

    /**
     * The link count of a file whose attributes a walk already read ({@code a} from java.nio.file on Linux); one
     * more lstat when the JVM does not let us read it there.
     */
    public static int linkCount(Path p, BasicFileAttributes a) {
        if (HANDLES != null) {
            try {
                return (int) HANDLES.nlink.invokeExact((Object) a);
            } catch (Throwable e) {
                // not the JDK's Unix attributes: the public view below
            }
        }
        try {
            return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return 1; // gone: it links nothing
        }
    }

    private record Handles(MethodHandle mode, MethodHandle uid, MethodHandle gid, MethodHandle rdev, MethodHandle dev,
                           MethodHandle ino, MethodHandle nlink) {
        static Handles find() {
            try {
                Class<?> c = Class.forName("sun.nio.fs.UnixFileAttributes");
                MethodHandles.Lookup l = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
                return new Handles(get(l, c, "mode", int.class), get(l, c, "uid", int.class),
                        get(l, c, "gid", int.class), get(l, c, "rdev", long.class), get(l, c, "dev", long.class),
                        get(l, c, "ino", long.class), get(l, c, "nlink", int.class));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null; // not opened to us: the public map view still works
            }
        }

        private static MethodHandle get(MethodHandles.Lookup l, Class<?> c, String name, Class<?> type)
                throws ReflectiveOperationException {
            return l.findVirtual(c, name, MethodType.methodType(type))
                    .asType(MethodType.methodType(type, Object.class));
        }
    }
}
