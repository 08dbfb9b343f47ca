package io.camelrsync.mirror;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The mirror.* settings: application.properties from the classpath, then overrides (the command line). */
public final class MirrorSettings {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^}]+)}}");

    private MirrorSettings() {
    }

    public static Map<String, String> load(Map<String, String> overrides) {
        Properties defaults = new Properties();
        try (InputStream in = MirrorSettings.class.getResourceAsStream("/application.properties")) {
            if (in == null) {
                throw new IllegalStateException("application.properties is missing from the classpath");
            }
            defaults.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> all = new LinkedHashMap<>();
        defaults.stringPropertyNames().forEach(k -> all.put(k, defaults.getProperty(k).strip()));
        all.putAll(overrides);
        all.replaceAll((k, v) -> resolve(v, all, 0));
        return all;
    }

    /** Replaces {{key}} by its value, as Camel's property placeholders do. */
    static String resolve(String value, Map<String, String> all, int depth) {
        if (depth > 10) {
            throw new IllegalArgumentException("property placeholders nest too deep in: " + value);
        }
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = all.get(m.group(1));
            if (v == null) {
                throw new IllegalArgumentException("property placeholder {{" + m.group(1) + "}} has no value");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(resolve(v, all, depth + 1)));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
