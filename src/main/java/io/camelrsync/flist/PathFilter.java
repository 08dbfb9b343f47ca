package io.camelrsync.flist;

/** Decides which paths the scanner leaves out; the scanner never descends into an excluded directory. */
@FunctionalInterface
public interface PathFilter {
    PathFilter NONE = (path, dir) -> false;

    boolean isExcluded(String relativePath, boolean isDirectory);
}
