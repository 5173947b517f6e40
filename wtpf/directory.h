/* The wtpf's directory: WIC users and groups from the configuration, their numbers inside the
 * PBX range, password hashes and per-user / per-group service settings (services.h). Read-only
 * once loaded; lookups by name and by number. */
#ifndef WTPF_DIRECTORY_H
#define WTPF_DIRECTORY_H

#include <glib.h>
#include <libconfig.h>

#include "runtime/config.h"
#include "wtpf/services.h"

typedef struct wtpf_group wtpf_group;

typedef struct {
    char *name;          /* login name */
    char *password_hash; /* crypt(3) string */
    char *number;        /* E.164, "+..." */
    char *display_name;  /* may be "" */
    unsigned max_calls;  /* calls in progress beyond which the user is busy (0: unlimited) */
    GPtrArray *rules;    /* svc_rule*: number transformation for the user's outgoing calls */
    svc_diversion div;
    GPtrArray *groups; /* wtpf_group* the user belongs to (borrowed) */
} wtpf_user;

struct wtpf_group {
    char *name;
    char *number;
    char *display_name;
    GPtrArray *members; /* wtpf_user* (borrowed), in configuration order */
    GPtrArray *rules;   /* svc_rule*: applied to members' calls after their own rules */
    svc_diversion div;
};

typedef struct {
    GPtrArray *users;  /* wtpf_user*, owned */
    GPtrArray *groups; /* wtpf_group*, owned */
    GPtrArray *rules;  /* svc_rule*: everyone's, after user and group rules */
    GHashTable *user_by_name, *group_by_name, *user_by_number, *group_by_number;
} wtpf_dir;

/* Key tables of the "users", "groups" and "services" sections (used by the node's table). */
extern const rt_cfg_key_t wtpf_dir_user_keys[];
extern const rt_cfg_key_t wtpf_dir_group_keys[];
extern const rt_cfg_key_t wtpf_dir_rule_keys[];

/* Builds the directory from a validated configuration. Semantic errors (duplicate names or
 * numbers, unknown members, bad regular expressions, numbers outside `number_prefix`, unknown
 * diversion targets) are appended to errors as "file:line: reason"; returns NULL if any. */
wtpf_dir *wtpf_dir_load(const config_t *cfg, const char *number_prefix, GString *errors);
void wtpf_dir_free(wtpf_dir *d);

wtpf_user *wtpf_dir_user(const wtpf_dir *d, const char *name);
wtpf_group *wtpf_dir_group(const wtpf_dir *d, const char *name);

/* What a number or a diversion target designates. */
typedef enum { DIR_NONE, DIR_USER, DIR_GROUP, DIR_EXTERNAL } wtpf_dir_kind;
typedef struct {
    wtpf_dir_kind kind;
    wtpf_user *user;
    wtpf_group *group;
    const char *number; /* the number (user's, group's, or the external one) */
} wtpf_dir_target;

/* A called number: a user's or a group's, else DIR_NONE. */
wtpf_dir_target wtpf_dir_by_number(const wtpf_dir *d, const char *number);
/* A diversion target string: a user name, a group name, a user's or group's number, else an
 * external number (DIR_EXTERNAL). */
wtpf_dir_target wtpf_dir_resolve(const wtpf_dir *d, const char *target);

/* The transformation rule lists that apply to a user's outgoing calls, in order: its own, its
 * groups', the global ones. lists must hold 2 + groups->len entries; returns the count. */
unsigned wtpf_dir_rule_lists(const wtpf_dir *d, const wtpf_user *u, GPtrArray **lists,
                             unsigned cap);

#endif
