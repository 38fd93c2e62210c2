import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a file named by the user (or found in a dataset folder) cannot be read as input.
package struct InputFileError: Error, Equatable, Sendable, CustomStringConvertible {
    package let path: String
    /// What is wrong, said for people ("is a named pipe (FIFO), not a regular file").
    package let problem: String
    /// sysexits.h: 66 (EX_NOINPUT) when the file is missing, unreadable or not a regular file;
    /// 74 (EX_IOERR) for other I/O errors; 65 (EX_DATAERR) when it is too large to be what it claims.
    package let exitCode: Int32
    /// "a folder", "a named pipe (FIFO)", ... when the path exists but is not a regular file.
    package var nonRegularKind: String? = nil
    /// strerror's text when an open or read failed.
    package var systemReason: String? = nil

    package var description: String { "\(TerminalSafeText.visible(path)): \(problem)" }
}

/// Opening input files so that nothing the user names can hang or exhaust the process: only
/// regular files are read. A FIFO would block `open` until a writer appears, `/dev/zero` never
/// ends, a socket cannot be opened, and a folder is not a file; each is refused with one clear
/// message. The file is opened with `O_NONBLOCK` (so a FIFO never blocks) and checked with
/// `fstat` on the opened descriptor (so a path swapped between a check and the open cannot slip
/// through), then switched back to blocking reads.
package enum InputFile {
    /// Opens `path` read-only; the caller closes the descriptor.
    package static func openRegular(_ path: String) throws(InputFileError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if descriptor < 0 {
            let code = errno
            if code == ENXIO {
                // A socket (or a FIFO on some systems) cannot be opened for reading.
                throw InputFileError(
                    path: path, problem: "is a socket or a device that cannot be read, not a regular file; name the file itself",
                    exitCode: 66,
                    nonRegularKind: "a socket")
            }
            throw openFailure(path, code)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw InputFileError(path: path, problem: "cannot be examined (\(String(cString: strerror(code))))", exitCode: 74)
        }
        if let kind = nonRegularKind(info.st_mode) {
            close(descriptor)
            throw InputFileError(
                path: path,
                problem: "is \(kind), not a regular file; name the file itself (a copy of the data, not a pipe or device)",
                exitCode: 66,
                nonRegularKind: kind)
        }
        let flags = fcntl(descriptor, F_GETFL)
        if flags >= 0 { _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) }
        return descriptor
    }

    /// The whole content of a regular file, refusing files over `limit` bytes before reading.
    package static func readAll(_ path: String, limit: Int, what: String = "file") throws(InputFileError) -> [UInt8] {
        let descriptor = try openRegular(path)
        defer { close(descriptor) }
        var info = stat()
        _ = fstat(descriptor, &info)
        let size = Int(info.st_size)
        if size > limit {
            throw InputFileError(
                path: path,
                problem: "is \(size) bytes, more than a \(what) can be (at most \(limit)); check that this is the right file",
                exitCode: 65)
        }
        var failure: Int32 = 0
        // Read to the end (a file may grow while it is read), never past `limit`.
        var bytes = [UInt8](repeating: 0, count: max(size, 0) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                if bytes.count > limit { break }
                bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, limit + 1 - bytes.count)))
            }
            let got = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            if got == 0 { break }
            filled += got
        }
        if failure != 0 {
            throw InputFileError(path: path, problem: "cannot be read (\(String(cString: strerror(failure))))", exitCode: 74)
        }
        if filled > limit {
            throw InputFileError(
                path: path, problem: "grew past \(limit) bytes while it was read; check that this is the right file", exitCode: 65
            )
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    /// Whether `path` names a regular file (following links) without opening it; nil when it
    /// does not exist, else the refusal for anything that is not a regular file.
    package static func checkRegular(_ path: String) -> InputFileError? {
        var info = stat()
        guard stat(path, &info) == 0 else { return openFailure(path, errno) }
        guard let kind = nonRegularKind(info.st_mode) else { return nil }
        return InputFileError(
            path: path,
            problem: "is \(kind), not a regular file; name the file itself (a copy of the data, not a pipe or device)",
            exitCode: 66,
            nonRegularKind: kind)
    }

    /// "a folder", "a named pipe (FIFO)", ...; nil for a regular file.
    package static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a folder"
        case S_IFIFO: return "a named pipe (FIFO)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }

    private static func openFailure(_ path: String, _ code: Int32) -> InputFileError {
        let reason = String(cString: strerror(code))
        var error: InputFileError
        switch code {
        case ENOENT, ENOTDIR:
            error = InputFileError(path: path, problem: "no such file", exitCode: 66)
        case EACCES, EPERM:
            error = InputFileError(path: path, problem: "cannot be opened (permission denied); make it readable", exitCode: 66)
        case EISDIR:
            error = InputFileError(
                path: path, problem: "is a folder, not a regular file; name the file itself", exitCode: 66,
                nonRegularKind: "a folder")
        default:
            error = InputFileError(path: path, problem: "cannot be opened (\(reason))", exitCode: 74)
        }
        error.systemReason = reason
        return error
    }
}
