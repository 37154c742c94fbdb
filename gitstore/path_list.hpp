#pragma once
// A list of paths kept in one buffer: the bytes of each and where it ends. A commit's summary
// names every path it changed, a million for the import of a million files; as strings they
// took some 64 bytes each (the object and its own allocation), here the path's bytes and 8.
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace histfs::gitstore {

class PathList {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    const_iterator() = default;
    const_iterator(const PathList* list, std::size_t index) : list_(list), index_(index) {}
    std::string_view operator*() const { return (*list_)[index_]; }
    const_iterator& operator++() {
      ++index_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++index_;
      return before;
    }
    bool operator==(const const_iterator& other) const { return index_ == other.index_; }
    bool operator!=(const const_iterator& other) const { return index_ != other.index_; }

   private:
    const PathList* list_ = nullptr;
    std::size_t index_ = 0;
  };

  PathList() = default;
  PathList(std::initializer_list<std::string_view> paths) {
    for (auto path : paths) push_back(path);
  }

  void push_back(std::string_view path) {
    bytes_.append(path);
    ends_.push_back(bytes_.size());
  }
  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view operator[](std::size_t i) const {
    const std::size_t start = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(start, ends_[i] - start);
  }
  std::string_view front() const { return (*this)[0]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

  bool operator==(const std::vector<std::string>& other) const {
    if (other.size() != size()) return false;
    for (std::size_t i = 0; i < size(); ++i)
      if ((*this)[i] != other[i]) return false;
    return true;
  }

 private:
  std::string bytes_;
  std::vector<std::size_t> ends_;
};

}  // namespace histfs::gitstore
