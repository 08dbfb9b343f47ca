package io.camelrsync.receiver;

import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A client's --link-dest, --copy-dest or --compare-dest dirs on this daemon (options.c set_dest_dir, main.c
 * do_server_recv and check_alt_basis_dirs): each made into components below the module's root by
 * {@link ModulePath#belowModule}, then opened from the module's root with openat2 beneath it and no symlink
 * anywhere on the way. Each open dir is the root of a read-only {@link DestinationTree}, so every lookup in it is
 * one parent descriptor plus one name, never following a symlink: a symlink planted as the dir, on its path or
 * inside it cannot lead a read or a link outside the module. A dir that cannot be opened so is warned about, as
 * rsync warns about one that does not exist, and left out.
 */
public final class AltDests implements AutoCloseable {
    /** rsync.h COMPARE_DEST, COPY_DEST, LINK_DEST. */
    enum Kind {
        COMPARE, COPY, LINK;

        static Kind of(String option) {
            return switch (option) {
                case "compare-dest" -> COMPARE;
                case "copy-dest" -> COPY;
                case "link-dest" -> LINK;
                default -> throw new IllegalArgumentException(option);
            };
        }
    }

    /** One basis dir: its components below the module's root, as the client gave it, and its tree once open. */
    public static final class BasisDir {
        final List<String> parts;
        final String shown;
        DestinationTree tree;

        BasisDir(List<String> parts, String shown) {
            this.parts = List.copyOf(parts);
            this.shown = shown;
        }

        /** Its components below the module's root. */
        public List<String> parts() {
            return parts;
        }

        /** The path of {@code rel} (below the destination) from the module's root, for the module's rules. */
        String moduleRelative(String rel) {
            return parts.isEmpty() ? rel : String.join("/", parts) + "/" + rel;
        }
    }

    final Kind kind;
    final String option;
    final List<BasisDir> dirs;

    private AltDests(Kind kind, String option, List<BasisDir> dirs) {
        this.kind = kind;
        this.option = option;
        this.dirs = dirs;
    }

    /** The basis dirs, in the client's order. */
    public List<BasisDir> dirs() {
        return dirs;
    }

    /** The client's basis dirs resolved against {@code destination} (its components below the module), or null. */
    public static AltDests of(ClientArgs args, List<String> destination) {
        if (args.altDest() == null || args.altDirs().isEmpty()) {
            return null;
        }
        List<BasisDir> dirs = new ArrayList<>();
        for (String given : args.altDirs()) {
            // check_alt_basis_dirs strips one trailing slash for its messages
            String shown = given.length() > 1 && given.endsWith("/") ? given.substring(0, given.length() - 1) : given;
            dirs.add(new BasisDir(ModulePath.belowModule(given, destination), shown));
        }
        return new AltDests(Kind.of(args.altDest()), "--" + args.altDest(), List.copyOf(dirs));
    }

    /**
     * Opens every dir below {@code module} (check_alt_basis_dirs, which warns about a missing one and goes on);
     * one that is missing, not a directory or reached only through a symlink is left out with a warning.
     */
    void open(Dir module, DestinationTree.Policy policy, Consumer<String> warn) throws IOException {
        for (BasisDir d : dirs) {
            Dir root;
            try {
                root = d.parts.isEmpty() ? module.retain() : module.openPath(String.join("/", d.parts));
            } catch (FsException e) {
                if (e.notFound()) {
                    warn.accept(option + " arg does not exist: " + d.shown);
                } else if (e.notDirectory()) {
                    warn.accept(option + " arg is not a dir: " + d.shown);
                } else if (e.notConfinable()) {
                    warn.accept(option + " arg goes through a symlink, which is never followed: " + d.shown);
                } else {
                    warn.accept(option + " arg cannot be opened: " + d.shown + ": " + e.getMessage());
                }
                continue;
            }
            d.tree = new DestinationTree(root, policy);
        }
    }

    @Override
    public void close() {
        for (BasisDir d : dirs) {
            if (d.tree != null) {
                d.tree.close();
            }
        }
    }
}
