package com.permissionbot.support;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.read.ListAppender;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Everything logged while it is open, in a Logback {@link ListAppender} on the root logger. With {@code quiet} the
 * root's other appenders (the console) are detached meanwhile, so ten thousand rejections do not flood the build log.
 */
public final class LogCapture implements AutoCloseable {
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> list = new ListAppender<>();
    private final List<Appender<ILoggingEvent>> detached = new ArrayList<>();

    public LogCapture(boolean quiet) {
        list.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        list.start();
        if (quiet) {
            for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) detached.add(it.next());
            detached.forEach(root::detachAppender);
        }
        root.addAppender(list);
    }

    /** A copy of what was logged so far. */
    public synchronized List<ILoggingEvent> events() {
        synchronized (list) {
            return new ArrayList<>(list.list);
        }
    }

    public void clear() {
        synchronized (list) {
            list.list.clear();
        }
    }

    public static boolean atLeast(ILoggingEvent e, Level level) {
        return e.getLevel().isGreaterOrEqual(level);
    }

    /** One line as the console would show it, with the exception class if any. */
    public static String line(ILoggingEvent e) {
        return e.getLevel() + " [" + e.getThreadName() + "] " + e.getLoggerName() + " - " + e.getFormattedMessage()
                + (e.getThrowableProxy() == null ? "" : " !! " + e.getThrowableProxy().getClassName() + ": "
                + e.getThrowableProxy().getMessage());
    }

    @Override
    public void close() {
        root.detachAppender(list);
        list.stop();
        detached.forEach(root::addAppender);
    }
}
