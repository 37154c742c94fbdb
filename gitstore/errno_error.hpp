#pragma once
// The one way a failed system call becomes an exception: errno as a std::system_error, with
// what was being done as its message.
#include <cerrno>
#include <string>
#include <system_error>

namespace histfs::gitstore {

[[noreturn]] inline void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace histfs::gitstore
