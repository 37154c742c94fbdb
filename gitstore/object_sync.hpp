#pragma once
// Makes the loose objects of one commit durable with one flush, as git's
// core.fsyncMethod=batch does, instead of an fsync per object: each new
// object file is written out to the disk, then a single fsync flushes the
// journal and the disk cache. Above a few thousand objects one syncfs is
// cheaper still. Used by the committer thread only.
//
// A commit that creates many objects (an import, a restore) writes them past the first
// kPackAfter into new packs instead (PackWriter), finished by the same flush: blobs into one,
// trees and commits into another, so that a walk of the trees (a remount) reads one small
// file, not pages spread over every blob of the import.
//
// It also knows which objects a commit attempt created (watch() makes the object database
// report every object it writes that it did not hold before), so a failed attempt can take
// them back instead of leaving them to fill a nearly full disk at every retry.
#include <git2.h>

#include <memory>
#include <string>
#include <vector>

#include "gitstore/pack_writer.hpp"

namespace histfs::gitstore {

class ObjectSync {
 public:
  // While it lives, it is the thread's recorder of the objects watched databases create.
  explicit ObjectSync(std::string git_dir);
  ~ObjectSync();
  ObjectSync(const ObjectSync&) = delete;
  ObjectSync& operator=(const ObjectSync&) = delete;

  // Makes `odb` (writes go to loose objects under `objects_dir`) report the objects it
  // creates to the thread's live ObjectSync. Once per database.
  static void watch(git_odb* odb, const std::string& objects_dir);

  // An object to flush; those in the pack are flushed with it.
  void add(const git_oid& oid) {
    if (!pending_pack(oid)) written_.push_back(oid);
  }
  size_t size() const { return written_.size(); }
  // Throws std::system_error when the flush fails (the objects may not be durable).
  void sync();
  // Writes the objects' data out and waits for it, without the flush that makes their names
  // durable: for a filesystem whose next fsync commits those names too (ordered_journal.hpp).
  void write_out();
  // fsync of one file of the git dir (a ref, a reflog) and of its directory.
  static void sync_file(const std::string& path);
  // Writes one file's data out and waits for it (no flush), as write_out() does for objects.
  static void write_out_file(const std::string& path);
  // fsync of one file or directory only: on an ordered journal, it commits every change made
  // before that file's last one too.
  static void commit_file(const std::string& path);
  // Where the next object of `type` created goes: this attempt's pack for its kind (blobs, or
  // the rest) once it has created pack_after() objects (opened then), else null (a loose
  // object). Throws std::system_error.
  PackWriter* pack_for_next(git_odb* odb, git_object_t type);
  // Puts a new object the caller hashed as `oid` in this attempt's pack when one is due
  // (pack_for_next); false when it is for a loose object instead.
  bool write_to_pack(git_odb* odb, const git_oid& oid, const void* data, std::size_t length, git_object_t type);
  // The pack being written that holds `oid`, or null: its objects can be read before it is
  // finished.
  PackWriter* pending_pack(const git_oid& oid) const;
  // How many objects the packs being written hold.
  std::size_t pending_objects() const;
  // The thread's live recorder (the innermost attempt), or null.
  static ObjectSync* current();
  // The recorder this one hides on its thread (an attempt inside another), or null.
  const ObjectSync* outer() const { return outer_; }
  // How many objects an attempt writes loose before the rest go to a pack (tests lower it).
  static std::size_t pack_after();
  static void set_pack_after(std::size_t objects);

  // Objects created since construction (only those the database did not hold before).
  // Those in the packs still being written are asked of them: a million ids of an import
  // are not kept twice.
  std::vector<git_oid> created() const;
  // Deletes the loose files of the objects this attempt created, and its pack if not finished
  // yet: call only when nothing points at them (the branch did not move).
  void discard();
  void created_object(const git_oid& oid) { created_.push_back(oid); }

 private:
  std::string object_path(const git_oid& oid) const;
  void flush(bool durable);
  std::string git_dir_;
  std::vector<git_oid> written_;
  std::vector<git_oid> created_;  // loose ones
  std::unique_ptr<PackWriter> blob_pack_;
  std::unique_ptr<PackWriter> tree_pack_;  // trees and commits
  git_odb* pack_odb_ = nullptr;            // told to look for the pack once it is finished
  ObjectSync* outer_;                      // the recorder this one hides (nested attempts)
};

}  // namespace histfs::gitstore
