#include <boost/test/unit_test.hpp>

#include "stages/stages.hpp"
#include "stages/test_config.hpp"

using namespace memolib::core;

namespace {

NormalizedMessage enrich(const std::string& subject, const std::string& text) {
    // The schema's French and English defaults.
    static const auto stage = EnrichFactory().make(validated_pipeline(), StageContext{});
    Exchange ex;
    NormalizedMessage m;
    m.subject = subject;
    m.text = text;
    ex.messages.push_back(m);
    BOOST_REQUIRE((stage->process(ex, Resume(nullptr, 0)) == StageResult::kContinue));
    return ex.messages.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(enrich_stage)

BOOST_AUTO_TEST_CASE(language_is_french_english_or_unknown) {
    BOOST_TEST(enrich("Rendez-vous",
                      "Bonjour, je souhaiterais prendre rendez-vous avec le cabinet "
                      "la semaine prochaine pour parler de mon dossier.")
                   .language == "fr");
    BOOST_TEST(enrich("Appointment",
                      "Hello, I would like to book an appointment with your office "
                      "next week to discuss my case.")
                   .language == "en");
    BOOST_TEST(enrich("", "ok").language == "unknown");
    BOOST_TEST(enrich("", "").language == "unknown");
}

BOOST_AUTO_TEST_CASE(priority_ignores_case_and_accents_and_matches_whole_words) {
    BOOST_TEST(enrich("URGENT", "rappelez-moi").priority == "high");
    BOOST_TEST(enrich("", "Merci de répondre IMMEDIATEMENT").priority == "high");
    BOOST_TEST(enrich("", "à traiter au   plus\nvite svp").priority == "high");
    BOOST_TEST(enrich("Notre newsletter de novembre", "").priority == "low");
    BOOST_TEST(enrich("urgent: newsletter", "").priority == "high");
    BOOST_TEST(enrich("", "insurgent movements").priority == "normal");
    BOOST_TEST(enrich("", "Bonjour").priority == "normal");
}

BOOST_AUTO_TEST_CASE(priority_keywords_beside_french_typography) {
    BOOST_TEST(enrich("", "Merci de me rappeler au plus vite…").priority == "high");
    BOOST_TEST(enrich("«urgent»", "").priority == "high");
    BOOST_TEST(enrich("", "C’est une « urgence » — merci").priority == "high");
    BOOST_TEST(enrich("", "réponse attendue—immédiatement!").priority == "high");
    BOOST_TEST(enrich("", "l’urgence du dossier").priority == "high");
    BOOST_TEST(enrich("", "„URGENT“ bitte").priority == "high");
    BOOST_TEST(enrich("", "ＵＲＧＥＮＴ").priority == "high");
    BOOST_TEST(enrich("", "insurgent…").priority == "normal");
}

BOOST_AUTO_TEST_CASE(folding) {
    BOOST_TEST(fold_for_keywords("Élève, ÇA  va?") == " eleve ca va ");
    BOOST_TEST(fold_for_keywords("") == " ");
    BOOST_TEST(fold_for_keywords("au plus vite…") == " au plus vite ");
    BOOST_TEST(fold_for_keywords("«urgent»") == " urgent ");
    BOOST_TEST(fold_for_keywords("ŒUVRE Straße ǅemal") == " œuvre strasse dzemal ");
    BOOST_TEST(fold_for_keywords("Привет, МИР!") == " привет мир ");
    BOOST_TEST(fold_for_keywords("a\xff\xfe"
                                 "b") == " a b ");
}

BOOST_AUTO_TEST_SUITE_END()
