package io.camelrsync.mirror;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The records one logger receives while a test runs (java.util.logging is the slf4j backend). */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger; // held: java.util.logging keeps loggers only weakly
    private final List<LogRecord> records = new ArrayList<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    static LogCapture of(Class<?> loggerClass) {
        return new LogCapture(Logger.getLogger(loggerClass.getName()));
    }

    /** The messages at exactly this level so far, in order (slf4j has formatted them already). */
    List<String> lines(Level level) {
        return lines(level, 0);
    }

    /** The same, from the {@code since}-th record on (see {@link #mark()}). */
    synchronized List<String> lines(Level level, int since) {
        List<String> out = new ArrayList<>();
        for (LogRecord r : records.subList(Math.min(since, records.size()), records.size())) {
            if (r.getLevel().equals(level)) {
                out.add(r.getMessage());
            }
        }
        return out;
    }

    /** How many records arrived so far: later waits can start after them. */
    synchronized int mark() {
        return records.size();
    }

    /** Waits up to {@code timeoutMillis} for a message at {@code level} containing {@code text}; returns it. */
    String await(Level level, String text, long timeoutMillis) throws InterruptedException {
        return await(level, text, timeoutMillis, 0);
    }

    /** The same, for a message after the first {@code since} records. */
    String await(Level level, String text, long timeoutMillis, int since) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            for (String l : lines(level, since)) {
                if (l.contains(text)) {
                    return l;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + level + " line containing '" + text + "' within " + timeoutMillis
                        + " ms; " + level + " lines: " + lines(level, since));
            }
            Thread.sleep(50);
        }
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
