package io.camelrsync.daemonconf;

import java.nio.file.Path;

/**
 * One "name = value" line of an rsyncd.conf, with where it came from so every message can name the line.
 * {@code inlineComment} is set when the value looked like "value   # remark": rsyncd.conf has no comments after
 * values, so the remark is part of the value, except after a file name, where it is cut off (RsyncdConf).
 */
public record ConfParam(String name, String value, Path file, int line, boolean inlineComment) {

    /** What the user most likely meant: the value with the trailing remark cut off. */
    public String valueWithoutRemark() {
        if (!inlineComment) {
            return value;
        }
        java.util.regex.Matcher m = RsyncdConf.INLINE_REMARK.matcher(value);
        return m.find() ? value.substring(0, m.start()).strip() : value;
    }
}
