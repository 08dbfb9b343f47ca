package io.camelrsync.receiver;

import io.camelrsync.flist.FileListOrder;
import io.camelrsync.flist.FileListReader.Entry;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Stat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The --fuzzy lists of the directory being generated (generator.c fuzzy_dirlist and need_fuzzy_dirlist): read
 * when a file of that directory first needs one, dropped when the generator moves on to another directory.
 */
final class FuzzyLists {
    private final ReceiveRole role;
    private final DestinationTree tree;
    /** --link-dest, --copy-dest or --compare-dest dirs, open; null without them. */
    private final AltDests alts;
    /** generator.c fuzzy_basis: how many directories --fuzzy looks in (0: off). */
    private final int fuzzyBasis;
    private String dir;
    private List<List<Fuzzy.Candidate>> lists;

    FuzzyLists(ReceiveRole role) {
        this.role = role;
        this.tree = role.tree;
        this.alts = role.alts;
        this.fuzzyBasis = role.fuzzyBasis;
    }

    /** A fuzzy basis found for a file, open until its sums are sent. */
    record FuzzyFile(Basis basis, DestinationTree.Node node, Stat stat) implements AutoCloseable {
        @Override
        public void close() {
            node.close();
        }
    }

    void enter(String parent) {
        if (!parent.equals(dir)) {
            dir = parent;
            lists = null;
        }
    }

    /** find_fuzzy's basis for the missing file {@code e}, located and checked to be a regular file, or null. */
    FuzzyFile find(Entry e) throws IOException {
        if (fuzzyBasis == 0) {
            return null;
        }
        if (lists == null) {
            lists = read();
        }
        Fuzzy.Found f = Fuzzy.find(lists, nameOf(e.path()), e.size(), e.mtime());
        if (f == null) {
            return null;
        }
        DestinationTree t = f.list() == 0 ? tree : alts.dirs.get(f.list() - 1).tree;
        String rel = dir.equals(".") ? f.candidate().name : dir + "/" + f.candidate().name;
        DestinationTree.Node n;
        try {
            n = t.locate(rel, false);
        } catch (FsException gone) {
            return null;
        }
        Stat st = n.stat();
        if (st == null || !st.isRegular()) { // replaced since it was listed
            n.close();
            return null;
        }
        return new FuzzyFile(new Basis(Basis.FUZZY + f.list(), t, rel, f.candidate().name), n, st);
    }

    /** The file is about to be replaced: it is no basis for a later one (FLAG_FILE_SENT). */
    void sending(Entry e) {
        if (lists != null && lists.get(0) != null) {
            String name = nameOf(e.path());
            for (Fuzzy.Candidate c : lists.get(0)) {
                if (c.name.equals(name)) {
                    c.sent = true;
                }
            }
        }
    }

    private List<List<Fuzzy.Candidate>> read() {
        List<List<Fuzzy.Candidate>> read = new ArrayList<>();
        for (int i = 0; i < fuzzyBasis; i++) {
            AltDests.BasisDir d = i == 0 ? null : alts.dirs.get(i - 1);
            DestinationTree t = d == null ? tree : d.tree;
            read.add(t == null ? null : candidates(t, d));
        }
        return read;
    }

    /** get_dirlist: the non-empty regular files of the directory, in rsync's order; none when it is missing. */
    private List<Fuzzy.Candidate> candidates(DestinationTree t, AltDests.BasisDir d) {
        Map<String, Stat> entries;
        try {
            entries = t.listWithStats(dir);
        } catch (IOException unreadable) {
            return null;
        }
        List<Fuzzy.Candidate> found = new ArrayList<>();
        entries.forEach((name, st) -> {
            String rel = dir.equals(".") ? name : dir + "/" + name;
            if (st.isRegular() && st.size() > 0 && !role.refuses(d == null ? rel : d.moduleRelative(rel), false)) {
                found.add(new Fuzzy.Candidate(name, st.size(), st.mtimeSeconds()));
            }
        });
        found.sort((x, y) -> FileListOrder.compare(x.bytes, false, y.bytes, false));
        return found;
    }

    private static String nameOf(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
