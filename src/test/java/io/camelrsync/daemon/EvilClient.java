package io.camelrsync.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.camelrsync.flist.FileEntry;
import io.camelrsync.flist.FileListWriter;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.Ndx;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.protocol.WireOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * A scripted client session that breaks the rules on purpose: handshake, arguments, protocol setup, then
 * multiplexed both ways. Every read has a deadline (the socket's and the demultiplexer's).
 */
class EvilClient implements AutoCloseable {
    /**
     * A transfer request from the daemon's generator (or, with no TRANSFER flag, an itemized entry), with the basis
     * type (-1: none follows) and fuzzy name (null: none) the daemon sent, which a client echoes back.
     */
    record Request(int ndx, int iflags, int basisType, String xname, int[] head) {
    }

    /** An out-of-band text the daemon sent: its multiplex code (MessageCode) and the text. */
    record Message(int code, String text) {
    }

    /** How a run that played rsync's sender ended, and what the daemon said meanwhile. */
    record Outcome(boolean completed, List<Request> requests, List<Message> messages, int errorExit,
                   Exception failure) {
        /** Whether the daemon told us about an error: a MSG_ERROR(_XFER) text or a non-zero MSG_ERROR_EXIT. */
        boolean toldAnError() {
            return errorExit > 0 || messages.stream().anyMatch(m -> m.code() == MessageCode.ERROR
                    || m.code() == MessageCode.ERROR_XFER);
        }

        /** Everything the daemon said, one message per line with its code, and its exit code. */
        String said() {
            return messages.stream().map(m -> m.code() + ": " + m.text().strip()).collect(Collectors.joining("\n"))
                    + (errorExit >= 0 ? "\nMSG_ERROR_EXIT " + errorExit : "");
        }
    }

    /** Called once per phase, after the daemon's requests of that phase and its DONE, before any answer. */
    @FunctionalInterface
    interface PhaseHook {
        void beforeAnswering(int phase, List<Request> requests) throws Exception;
    }

    private static final int TRANSFER = 0x8000;
    private static final int MAX_LITERAL = 32 * 1024;

    final Socket socket;
    final InputStream in;
    final OutputStream raw;
    final MultiplexWriter mux;
    final WireOutput out;
    /** ERROR, WARNING and INFO texts the daemon sent us. */
    final List<String> messages = new CopyOnWriteArrayList<>();
    /** The same texts with their multiplex codes. */
    final List<Message> coded = new CopyOnWriteArrayList<>();
    private MultiplexReader reader;
    private WireInput daemonData;

    EvilClient(int port, String args) throws IOException {
        this(port, "m", List.of(args.split(" ")));
    }

    EvilClient(int port, List<String> args) throws IOException {
        this(port, "m", args);
    }

    EvilClient(int port, String module, List<String> args) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(20_000);
        in = socket.getInputStream();
        raw = socket.getOutputStream();
        raw.write("@RSYNCD: 32.0 md5\n".getBytes(StandardCharsets.US_ASCII));
        readLine();
        raw.write((module + "\n").getBytes(StandardCharsets.US_ASCII));
        while (!readLine().equals("@RSYNCD: OK")) {
            // MOTD
        }
        for (String a : args) {
            raw.write(a.getBytes(StandardCharsets.UTF_8));
            raw.write(0);
        }
        raw.write(0);
        WireInput setup = new WireInput(in);
        int compat = setup.readVarint();
        assertEquals(0, compat & 1, "the daemon must not turn on incremental recursion");
        if ((compat & 0x80) != 0) { // checksum negotiation only when the daemon turned on varint flags
            WireOutput w = new WireOutput(raw);
            w.writeVstring("md5");
            w.flush();
            setup.readVstring(256);
        }
        setup.readInt(); // seed
        mux = new MultiplexWriter(raw);
        out = new WireOutput(mux);
    }

    String readLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("closed");
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    void sendList(boolean hardLinks, FileEntry... entries) throws IOException {
        sendList(hardLinks, List.of(entries));
    }

    void sendList(boolean hardLinks, List<FileEntry> entries) throws IOException {
        FileListWriter fw = new FileListWriter(out,
                new FileListWriter.Options(32, true, false, false, false, false, hardLinks, false));
        for (FileEntry e : entries) {
            fw.write(e);
        }
        fw.writeEnd(0, true);
        out.flush();
    }

    private MultiplexReader reader() {
        if (reader == null) {
            reader = new MultiplexReader(in, (c, t) -> {
                messages.add(t);
                coded.add(new Message(c, t));
            }, 10_000);
            reader.start("evil-demux");
        }
        return reader;
    }

    /** The daemon's multiplexed output, from here on (one stream, so index deltas stay in step). */
    WireInput daemonOutput() {
        if (daemonData == null) {
            daemonData = new WireInput(reader().data());
        }
        return daemonData;
    }

    /** The daemon's next transfer request: index, iflags and sum head; the block sums are skipped. */
    Request readRequest() throws IOException {
        WireInput d = daemonOutput();
        int ndx = d.readNdx();
        int iflags = d.readShortInt();
        int basisType = (iflags & 0x0800) != 0 ? d.readByte() : -1;
        String xname = (iflags & 0x1000) != 0 ? d.readVstring(4096) : null;
        return new Request(ndx, iflags, basisType, xname, readSums(d));
    }

    private static int[] readSums(WireInput d) throws IOException {
        int[] head = {d.readInt(), d.readInt(), d.readInt(), d.readInt()};
        for (int i = 0; i < head[0]; i++) {
            d.readInt();
            d.readBytes(head[2], 64, "sum2");
        }
        return head;
    }

    /** A sum head of no blocks, then {@code text} as one literal token and the end token. */
    void sendEmptySumHeadAndLiteral(String text) throws IOException {
        for (int i = 0; i < 4; i++) {
            out.writeInt(0);
        }
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(b.length);
        out.write(b);
        out.writeInt(0);
        out.flush();
    }

    /** Waits until the daemon hangs up on us (it must, after refusing). */
    void expectHangUp() throws Exception {
        byte[] buf = new byte[4096];
        try {
            InputStream data = reader().data();
            while (data.read(buf) >= 0) {
                // whatever the daemon says before it hangs up
            }
        } catch (io.camelrsync.protocol.RsyncException e) {
            if (e.exitCode() == io.camelrsync.protocol.ExitCode.TIMEOUT) {
                throw new AssertionError("the daemon kept the hostile session open", e);
            }
            // a reset or a broken stream is a hang-up too
        }
    }

    /** Waits for the hang-up and returns what the daemon told us before it, with its exit code. */
    String expectRefusal(int exitCode) throws Exception {
        expectHangUp();
        String said = String.join("", messages);
        assertEquals(exitCode, reader().errorExit(), "MSG_ERROR_EXIT from the daemon; it said: " + said);
        return said;
    }

    /** The exit code from the daemon's MSG_ERROR_EXIT, or -1 if none came. */
    int errorExit() {
        return reader().errorExit();
    }

    /** Plays rsync's sender to the end of the run: every requested file gets {@code content} as literal data. */
    Outcome serve(IntFunction<byte[]> content) {
        return serve(content, false, (phase, requests) -> { });
    }

    /**
     * Plays rsync's sender (sender.c send_files, main.c read_final_goodbye) until the run ends or the daemon
     * hangs up. Each phase's requests are read up to the daemon's DONE and only then answered, after {@code hook}:
     * a transfer gets its sum head echoed, {@code content} as literal tokens and the whole-file MD5 (deliberately
     * wrong with {@code badChecksums}); an itemized entry is echoed. Never throws: the outcome says how it ended.
     */
    Outcome serve(IntFunction<byte[]> content, boolean badChecksums, PhaseHook hook) {
        List<Request> all = new ArrayList<>();
        Exception failure = null;
        boolean completed = false;
        try {
            WireInput d = daemonOutput();
            List<Request> phase = new ArrayList<>();
            int dones = 0;
            while (true) {
                int ndx = d.readNdx();
                if (ndx == Ndx.DEL_STATS) {
                    for (int i = 0; i < 5; i++) {
                        d.readVarint();
                    }
                    continue;
                }
                if (ndx != Ndx.DONE) {
                    int iflags = d.readShortInt();
                    int basisType = (iflags & 0x0800) != 0 ? d.readByte() : -1;
                    String xname = (iflags & 0x1000) != 0 ? d.readVstring(4096) : null;
                    Request r = new Request(ndx, iflags, basisType, xname,
                            (iflags & TRANSFER) != 0 ? readSums(d) : null);
                    phase.add(r);
                    all.add(r);
                    continue;
                }
                dones++;
                if (dones == 5) { // the generator's final DONE after our goodbye
                    completed = true;
                    break;
                }
                hook.beforeAnswering(dones - 1, List.copyOf(phase));
                for (Request r : phase) {
                    answer(r, content.apply(r.ndx()), badChecksums);
                }
                phase.clear();
                out.writeNdx(Ndx.DONE); // phases 1 and 2, the end of send_files, then the goodbye
                out.flush();
            }
        } catch (Exception e) {
            failure = e;
            drainQuietly();
        }
        return new Outcome(completed, List.copyOf(all), List.copyOf(coded), reader().errorExit(), failure);
    }

    private void answer(Request r, byte[] data, boolean badChecksum) throws IOException {
        out.writeNdx(r.ndx());
        out.writeShortInt(r.iflags());
        if (r.basisType() >= 0) {
            out.writeByte(r.basisType());
        }
        if (r.xname() != null) {
            out.writeVstring(r.xname());
        }
        if (r.head() == null) {
            return;
        }
        for (int v : r.head()) {
            out.writeInt(v);
        }
        for (int off = 0; off < data.length; off += MAX_LITERAL) {
            int n = Math.min(MAX_LITERAL, data.length - off);
            out.writeInt(n);
            out.write(data, off, n);
        }
        out.writeInt(0);
        byte[] sum = md5(data);
        if (badChecksum) {
            sum[0] ^= 0x55;
        }
        out.write(sum);
    }

    static byte[] md5(byte[] data) {
        try {
            return MessageDigest.getInstance("MD5").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads whatever the daemon still sends until it hangs up (bounded by the read deadlines). */
    void drainQuietly() {
        byte[] buf = new byte[4096];
        try {
            InputStream data = reader().data();
            while (data.read(buf) >= 0) {
                // discard
            }
        } catch (IOException | RuntimeException gone) {
            // hung up, reset or timed out
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
