package io.camelrsync.protocol;

/** rsync's exit codes (errcode.h): scripts written for rsync test these numbers. */
public final class ExitCode {
    public static final int OK = 0;
    public static final int SYNTAX = 1;
    public static final int PROTOCOL = 2;
    public static final int FILE_SELECT = 3;
    public static final int UNSUPPORTED = 4;
    public static final int START_CLIENT = 5;
    public static final int SOCKET_IO = 10;
    public static final int FILE_IO = 11;
    public static final int STREAM_IO = 12;
    public static final int MESSAGE_IO = 13;
    public static final int IPC = 14;
    public static final int SIGNAL = 20;
    public static final int MALLOC = 22;
    public static final int PARTIAL = 23;
    public static final int VANISHED = 24;
    public static final int TIMEOUT = 30;
    public static final int CONNECT_TIMEOUT = 35;

    private ExitCode() {
    }
}
