# Sourced by the bench scripts: sets rb_data (RecBole's input) and tr_args (trustrec's data
# flags) for the dataset named in $dataset, relative to the repository root ($ROOT).
shared="$ROOT/../shared/datasets"
case "$dataset" in
  ml-100k) rb_data="$shared/ml-100k"; tr_args=(--data data/ml-100k --format recbole) ;;
  amazon-beauty) rb_data="$shared/amazon-beauty/Beauty.txt"; tr_args=(--data "$rb_data" --format s3rec) ;;
  *) echo "unknown dataset $dataset" >&2; exit 2 ;;
esac
