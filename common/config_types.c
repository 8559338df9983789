/* config_types.c: the handler table indexed by value type (as xdp-tools' params.c does). */
#include "config_schema.h"

const struct config_type_ops *const config_types[CONFIG_T_COUNT] = {
    [CONFIG_T_BOOL] = &config_ops_bool,		[CONFIG_T_UINT] = &config_ops_uint,
    [CONFIG_T_DURATION] = &config_ops_duration, [CONFIG_T_SIZE] = &config_ops_size,
    [CONFIG_T_STRING] = &config_ops_string,	[CONFIG_T_ENUM] = &config_ops_enum,
    [CONFIG_T_PORTLIST] = &config_ops_portlist, [CONFIG_T_INT] = &config_ops_int,
    [CONFIG_T_GLOB] = &config_ops_glob,		[CONFIG_T_REGEX] = &config_ops_regex,
    [CONFIG_T_FLAGS] = &config_ops_flags,	[CONFIG_T_STRLIST] = &config_ops_strlist,
    [CONFIG_T_MAP] = &config_ops_map,		[CONFIG_T_OBJLIST] = &config_ops_objlist,
    [CONFIG_T_OBJMAP] = &config_ops_objmap,
};
