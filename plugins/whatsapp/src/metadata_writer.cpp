#include "metadata_writer.hpp"

namespace memolib::plugins::whatsapp {

MetadataWriter::MetadataWriter() : writer_(buffer_) { writer_.StartObject(); }

void MetadataWriter::key(std::string_view key) {
    writer_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void MetadataWriter::string(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    this->key(key);
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void MetadataWriter::number(std::string_view key, double value) {
    this->key(key);
    writer_.Double(value);
}

void MetadataWriter::integer(std::string_view key, long long value) {
    this->key(key);
    writer_.Int64(value);
}

void MetadataWriter::boolean(std::string_view key, bool value) {
    this->key(key);
    writer_.Bool(value);
}

void MetadataWriter::start_array(std::string_view key) {
    this->key(key);
    writer_.StartArray();
}

void MetadataWriter::end_array() { writer_.EndArray(); }

void MetadataWriter::start_object() { writer_.StartObject(); }

void MetadataWriter::end_object() { writer_.EndObject(); }

void MetadataWriter::element(std::string_view value) {
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string MetadataWriter::finish() {
    writer_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
}

std::string format_number(double value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.Double(value);
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace memolib::plugins::whatsapp
