#include "config/schema.hpp"

#include <cstdlib>

#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

using namespace memolib::core;

namespace {

const char* kSchema = R"(
region: {type: string, default: FR, description: Region}
secret: {type: string, secret: true, required: true, description: Secret}
limit: {type: size, default: 1KiB, description: Limit}
mode: {type: string, default: enforce, enum: [enforce, report, off], description: Mode}
count: {type: integer, minimum: 1, maximum: 10, description: Count}
)";

ConfigValue check(const std::string& yaml, std::vector<ConfigError>& errors) {
    SchemaNode schema = parse_flat_schema(kSchema);
    Validator v("test.yaml", errors);
    return v.validate(YAML::Load(yaml), schema, "channels.x");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(defaults_are_applied_and_units_normalized) {
    std::vector<ConfigError> errors;
    ConfigValue v = check("secret: s3\nlimit: 2KiB\n", errors);
    BOOST_TEST(errors.empty());
    BOOST_TEST(v.get("region") == "FR");
    BOOST_TEST(v.get("limit") == "2048");
    BOOST_TEST(v.get("mode") == "enforce");
    BOOST_TEST(v.find("count") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_list_default_is_filled_also_under_an_absent_object) {
    const SchemaNode schema = parse_schema(YAML::Load(R"(
type: object
properties:
  limits:
    type: object
    properties:
      sizes: {type: list, items: {type: size}, default: [1KiB, 2KiB]}
      words: {type: list, items: {type: string}, default: [urgent, "au plus vite"]}
)"));
    std::vector<ConfigError> errors;
    Validator v("test.yaml", errors);
    const ConfigValue filled = v.validate(YAML::Load("{}"), schema, "");
    BOOST_TEST(errors.empty());
    BOOST_TEST(filled.at("limits").strings("sizes") == (std::vector<std::string>{"1024", "2048"}),
               boost::test_tools::per_element());
    BOOST_TEST(filled.at("limits").strings("words") ==
                   (std::vector<std::string>{"urgent", "au plus vite"}),
               boost::test_tools::per_element());
    const ConfigValue given = v.validate(YAML::Load("limits: {words: [vite]}"), schema, "");
    BOOST_TEST(given.at("limits").strings("words") == std::vector<std::string>{"vite"},
               boost::test_tools::per_element());
    BOOST_CHECK_THROW(filled.at("limits").integer("absent"), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_list_default_belongs_to_a_list) {
    BOOST_CHECK_THROW(parse_flat_schema("a: {type: string, default: [x]}"), std::runtime_error);
    BOOST_CHECK_THROW(parse_flat_schema("a: {type: list, items: {type: string}, default: x}"),
                      std::runtime_error);
}

BOOST_AUTO_TEST_CASE(unknown_key_is_refused_with_its_line) {
    std::vector<ConfigError> errors;
    check("secret: s3\n\ncolour: blue\n", errors);
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].key == "channels.x.colour");
    BOOST_TEST(errors[0].mark.line == 3);
    BOOST_TEST(errors[0].to_string().find("test.yaml:3:1: key 'channels.x.colour': unknown key") ==
               0u);
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported) {
    std::vector<ConfigError> errors;
    check("mode: loud\ncount: 11\nlimit: big\n", errors);
    // secret missing, bad enum, out of range, bad size.
    BOOST_TEST(errors.size() == 4u);
}

BOOST_AUTO_TEST_CASE(environment_is_substituted) {
    ::setenv("MEMOLIB_TEST_SECRET", "from-env", 1);
    ::unsetenv("MEMOLIB_TEST_UNSET");
    std::vector<ConfigError> errors;
    ConfigValue v =
        check("secret: ${MEMOLIB_TEST_SECRET}\nregion: ${MEMOLIB_TEST_UNSET:-BE}\n", errors);
    BOOST_TEST(errors.empty());
    BOOST_TEST(v.get("secret") == "from-env");
    BOOST_TEST(v.get("region") == "BE");
    errors.clear();
    check("secret: ${MEMOLIB_TEST_UNSET}\n", errors);
    BOOST_REQUIRE_EQUAL(errors.size(), 1u);
    BOOST_TEST(errors[0].message.find("MEMOLIB_TEST_UNSET") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_broken_schema_is_refused) {
    BOOST_CHECK_THROW(parse_flat_schema("key: {type: colour}"), std::runtime_error);
    BOOST_CHECK_THROW(parse_flat_schema("key: {type: string, flavour: x}"), std::runtime_error);
    BOOST_CHECK_THROW(parse_flat_schema("[1, 2]"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
